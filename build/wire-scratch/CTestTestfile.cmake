# CMake generated Testfile for 
# Source directory: /tmp/wirecm
# Build directory: /work/main/build/wire-scratch
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_vectors]=] "/work/main/build/wire-scratch/test_vectors")
set_tests_properties([=[test_vectors]=] PROPERTIES  ENVIRONMENT "SYNACK_SOURCE_DIR=/work/main" _BACKTRACE_TRIPLES "/tmp/wirecm/CMakeLists.txt;49;add_test;/tmp/wirecm/CMakeLists.txt;0;")
