# CMake generated Testfile for 
# Source directory: /tmp/wirecm
# Build directory: /work/main/build/wire-scratch
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_checksum]=] "/work/main/build/wire-scratch/test_checksum")
set_tests_properties([=[test_checksum]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_eth]=] "/work/main/build/wire-scratch/test_eth")
set_tests_properties([=[test_eth]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_arp]=] "/work/main/build/wire-scratch/test_arp")
set_tests_properties([=[test_arp]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_ipv4]=] "/work/main/build/wire-scratch/test_ipv4")
set_tests_properties([=[test_ipv4]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_ipv6]=] "/work/main/build/wire-scratch/test_ipv6")
set_tests_properties([=[test_ipv6]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_icmp]=] "/work/main/build/wire-scratch/test_icmp")
set_tests_properties([=[test_icmp]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_udp]=] "/work/main/build/wire-scratch/test_udp")
set_tests_properties([=[test_udp]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_tcp_wire]=] "/work/main/build/wire-scratch/test_tcp_wire")
set_tests_properties([=[test_tcp_wire]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_addr]=] "/work/main/build/wire-scratch/test_addr")
set_tests_properties([=[test_addr]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_dissect]=] "/work/main/build/wire-scratch/test_dissect")
set_tests_properties([=[test_dissect]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_seq]=] "/work/main/build/wire-scratch/test_seq")
set_tests_properties([=[test_seq]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
add_test([=[test_vectors]=] "/work/main/build/wire-scratch/test_vectors")
set_tests_properties([=[test_vectors]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
