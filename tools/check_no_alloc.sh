#!/usr/bin/env bash
# check_no_alloc NM LIB: the core library must not reference an allocator, stdio, the clock,
# or process control (STYLE.md sections 3 and 5).
set -euo pipefail
nm_tool=$1
lib=$2
bad=$("$nm_tool" -u "$lib" | awk '{print $NF}' |
      grep -E '^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|.*printf|puts|putchar|fputs|fputc|fwrite|fread|fopen|fclose|fflush|perror|time|clock|clock_gettime|gettimeofday|abort|exit|_exit|__assert_fail|__assert_func|__stack_chk_fail|open|read|write|close)$' | sort -u || true)
if [ -n "$bad" ]; then
    echo "check_no_alloc: $lib references:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check_no_alloc: $lib: OK"
