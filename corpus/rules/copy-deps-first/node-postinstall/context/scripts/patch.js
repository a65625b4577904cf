// touches src
