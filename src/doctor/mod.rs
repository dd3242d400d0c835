//! `rinotify doctor`: what limits, usage and filesystems mean for watching the given paths.
