file(REMOVE_RECURSE
  "CMakeFiles/test_vectors.dir/work/main/tests/unit/test_vectors.c.o"
  "CMakeFiles/test_vectors.dir/work/main/tests/unit/test_vectors.c.o.d"
  "test_vectors"
  "test_vectors.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_vectors.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
