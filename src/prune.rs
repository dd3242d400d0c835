//! `--prune` patterns: gitignore-style globs on directory paths relative to a watched root.
