# Empty dependencies file for test_timer.
# This may be replaced when dependencies are built.
