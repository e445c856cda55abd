
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/core/addr.c" "CMakeFiles/wire.dir/work/main/src/core/addr.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/addr.c.o.d"
  "/work/main/src/core/arp.c" "CMakeFiles/wire.dir/work/main/src/core/arp.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/arp.c.o.d"
  "/work/main/src/core/checksum.c" "CMakeFiles/wire.dir/work/main/src/core/checksum.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/checksum.c.o.d"
  "/work/main/src/core/dissect.c" "CMakeFiles/wire.dir/work/main/src/core/dissect.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/dissect.c.o.d"
  "/work/main/src/core/eth.c" "CMakeFiles/wire.dir/work/main/src/core/eth.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/eth.c.o.d"
  "/work/main/src/core/icmp.c" "CMakeFiles/wire.dir/work/main/src/core/icmp.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/icmp.c.o.d"
  "/work/main/src/core/ipv4.c" "CMakeFiles/wire.dir/work/main/src/core/ipv4.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/ipv4.c.o.d"
  "/work/main/src/core/ipv6.c" "CMakeFiles/wire.dir/work/main/src/core/ipv6.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/ipv6.c.o.d"
  "/work/main/src/core/tcp_wire.c" "CMakeFiles/wire.dir/work/main/src/core/tcp_wire.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/tcp_wire.c.o.d"
  "/work/main/src/core/udp.c" "CMakeFiles/wire.dir/work/main/src/core/udp.c.o" "gcc" "CMakeFiles/wire.dir/work/main/src/core/udp.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
