# not used
