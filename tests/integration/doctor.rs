//! `rinotify doctor`: limits, usage, filesystem checks, exit status (kernel tests).
