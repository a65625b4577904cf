"""The Dockerfile grammar (dockerfile.lark) and the LALR tables Lark builds from it."""
