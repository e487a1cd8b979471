#!/usr/bin/env bash
# Lays out oxevent's libevent-compatible libraries into a prefix:
#   PREFIX/lib/libevent-2.1.so.7.0.1        the shared library (SONAME libevent-2.1.so.7)
#   PREFIX/lib/libevent{,_core,_pthreads}-2.1.so.7 -> it   (one file, every name:
#                                            a program linked against any mix loads one copy)
#   PREFIX/lib/libevent{,_core,_pthreads}.so -> it          (dev links for -levent …)
#   PREFIX/lib/libevent{,_core,_pthreads}.a                 (static archives)
#   PREFIX/include/event2/*.h, event.h, evutil.h
#   PREFIX/lib/pkgconfig/libevent{,_core,_pthreads}.pc
# Usage: scripts/install.sh PREFIX [--debug] [--no-build] [--strip|--no-strip]
#   --debug     lay out the debug build instead of the release build
#   --no-build  use what target/ already holds (the test suite does this)
#   --strip     strip the installed libraries (the default for the release
#               build: the shared library keeps only its dynamic symbols,
#               about 0.6 MB instead of 6.7 MB; the archives lose their
#               debug sections)
#   --no-strip  keep the symbols and line tables (the default for --debug;
#               use it with the release build for profiling with names)
set -euo pipefail
prefix=${1:?usage: scripts/install.sh PREFIX [--debug] [--no-build]}
shift
profile=release
build=1
strip=
for a in "$@"; do
    case $a in
        --debug) profile=debug ;;
        --no-build) build=0 ;;
        --strip) strip=1 ;;
        --no-strip) strip=0 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
if [ -z "$strip" ]; then
    if [ "$profile" = release ]; then strip=1; else strip=0; fi
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if [ "$build" = 1 ]; then
    if [ "$profile" = release ]; then
        cargo build --release -q -p oxevent-ffi
    else
        cargo build -q -p oxevent-ffi
    fi
fi
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
lib="$prefix/lib"
mkdir -p "$lib/pkgconfig" "$prefix/include"
install -m 0755 "target/$profile/liboxevent_ffi.so" "$lib/libevent-2.1.so.7.0.1"
for name in libevent libevent_core libevent_pthreads; do
    ln -sf libevent-2.1.so.7.0.1 "$lib/$name-2.1.so.7"
    ln -sf libevent-2.1.so.7.0.1 "$lib/$name.so"
    install -m 0644 "target/$profile/liboxevent_ffi.a" "$lib/$name.a"
done
if [ "$strip" = 1 ]; then
    strip --strip-unneeded "$lib/libevent-2.1.so.7.0.1"
    for name in libevent libevent_core libevent_pthreads; do
        strip --strip-debug "$lib/$name.a"
    done
fi
cp -R crates/oxevent-ffi/include/. "$prefix/include/"
for name in libevent libevent_core libevent_pthreads; do
    case $name in
        libevent) libs="-levent"; private="-lpthread -ldl -lm" ;;
        libevent_core) libs="-levent_core"; private="-lpthread -ldl -lm" ;;
        libevent_pthreads) libs="-levent_pthreads"; private="-lpthread" ;;
    esac
    cat > "$lib/pkgconfig/$name.pc" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $name
Description: oxevent: libevent 2.1 rebuilt in Rust ($name)
Version: 2.1.12-stable
Requires:
Conflicts:
Libs: -L\${libdir} $libs
Libs.private: $private
Cflags: -I\${includedir}
PC
done
echo "installed into $prefix"
