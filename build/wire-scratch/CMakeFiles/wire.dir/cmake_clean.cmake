file(REMOVE_RECURSE
  "CMakeFiles/wire.dir/work/main/src/core/addr.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/addr.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/arp.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/arp.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/checksum.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/checksum.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/dissect.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/dissect.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/eth.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/eth.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/icmp.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/icmp.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/ipv4.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/ipv4.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/ipv6.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/ipv6.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/tcp_wire.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/tcp_wire.c.o.d"
  "CMakeFiles/wire.dir/work/main/src/core/udp.c.o"
  "CMakeFiles/wire.dir/work/main/src/core/udp.c.o.d"
  "libwire.a"
  "libwire.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/wire.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
