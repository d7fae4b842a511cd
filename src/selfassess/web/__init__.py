"""What every page shares: rendering, flash messages, errors, guards and security headers."""
