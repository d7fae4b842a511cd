"""Published ratings for people choosing care: no sign-in, only what councils have published."""
