#!/bin/sh
# Generate ./configure from a git checkout (release tarballs have it).
exec autoreconf -fi "$(dirname "$0")"
