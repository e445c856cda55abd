file(REMOVE_RECURSE
  "CMakeFiles/test_timer.dir/work/main/tests/unit/test_timer.c.o"
  "CMakeFiles/test_timer.dir/work/main/tests/unit/test_timer.c.o.d"
  "test_timer"
  "test_timer.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_timer.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
