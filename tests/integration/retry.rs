//! `--retry`: waiting for missing paths and re-watching re-created roots.
