//! `--prune` and `--prune-from`: pruned directories are never watched, at start or later.
