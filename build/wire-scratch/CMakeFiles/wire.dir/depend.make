# Empty dependencies file for wire.
# This may be replaced when dependencies are built.
