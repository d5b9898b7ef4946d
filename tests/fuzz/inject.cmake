# Adds the fuzz targets to the top-level project without editing it:
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang \
#         -DCMAKE_PROJECT_llamafmt_INCLUDE=<repo>/tests/fuzz/inject.cmake
# CMake includes this file right after the top level's project(llamafmt).
# tests/fuzz/CMakeLists.txt is then include()d at the end of the top-level
# CMakeLists.txt, when libllamafmt and its dependencies exist (a deferred
# call may not add a subdirectory, and expands variables only when it runs,
# hence the variable).
set(LLAMAFMT_FUZZ_LISTFILE "${CMAKE_CURRENT_LIST_DIR}/CMakeLists.txt")
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL include "${LLAMAFMT_FUZZ_LISTFILE}")
