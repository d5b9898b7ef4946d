# CPACK_PRE_BUILD_SCRIPTS: run by cpack after it has installed the project
# into its staging directory and before it builds the package.  A plain
# `cmake --install` keeps the files as they are; a package gets them the way
# Debian policy wants them:
#   - man pages compressed with gzip -9n (no name, no time stamp: the same
#     bytes on every build);
#   - the license as /usr/share/doc/<package>/copyright;
#   - a changelog.gz there (a native package must have one).
if(NOT CPACK_TEMPORARY_INSTALL_DIRECTORY OR NOT IS_DIRECTORY "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
  message(FATAL_ERROR "package-docs.cmake: no staging directory (run it from cpack)")
endif()
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")

file(GLOB_RECURSE pages LIST_DIRECTORIES false "${stage}/*/share/man/man[1-9]/*.[1-9]")
foreach(page IN LISTS pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package-docs.cmake: gzip ${page} failed: ${rc}")
  endif()
endforeach()

file(GLOB_RECURSE licenses LIST_DIRECTORIES false "${stage}/*/share/doc/${CPACK_PACKAGE_NAME}/LICENSE")
foreach(license IN LISTS licenses)
  get_filename_component(dir "${license}" DIRECTORY)
  file(RENAME "${license}" "${dir}/copyright")
endforeach()

# A native package's changelog: one entry for this version.  Its date is
# SOURCE_DATE_EPOCH when set (reproducible builds), else the time of packaging.
file(GLOB docdirs LIST_DIRECTORIES true "${stage}/*/share/doc/${CPACK_PACKAGE_NAME}")
foreach(dir IN LISTS docdirs)
  string(TIMESTAMP when "%a, %d %b %Y %H:%M:%S +0000" UTC)
  file(WRITE "${dir}/changelog"
    "${CPACK_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}) unstable; urgency=medium\n"
    "\n"
    "  * llamafmt ${CPACK_PACKAGE_VERSION}, packaged with cpack -G DEB.\n"
    "\n"
    " -- ${CPACK_PACKAGE_CONTACT}  ${when}\n")
  execute_process(COMMAND gzip -9nf "${dir}/changelog" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package-docs.cmake: gzip ${dir}/changelog failed: ${rc}")
  endif()
endforeach()
