# `cmake --install build --prefix P`: the program, its presets and docs, and the
# libraries with their headers, a CMake package (find_package(nanossl)) and a
# pkg-config file, laid out by GNUInstallDirs (docs/install.md).
include(CMakePackageConfigHelpers)

install(TARGETS nanossl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Named presets are looked for here, beside the program (commands/presets.h).
install(DIRECTORY presets/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nanossl/presets FILES_MATCHING PATTERN "*.json")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(DIRECTORY examples DESTINATION ${CMAKE_INSTALL_DOCDIR})  # the consumer project of docs/install.md

# The libraries' own headers, folders kept, so `#include "nn/resnet.h"` works with
# -I P/include/nanossl as it does in the tree. Not tests/, bench/ or cli/ (the
# program's), nor cuda/*.cuh (device code only the library's .cu files include).
install(DIRECTORY base cpu cuda tensor autograd nn data ssl commands studies
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nanossl FILES_MATCHING PATTERN "*.h")
install(TARGETS nanossl_core nanossl_commands EXPORT nanosslTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/nanossl)
install(EXPORT nanosslTargets NAMESPACE nanossl:: DESTINATION ${config_dir})
configure_package_config_file(cmake/nanosslConfig.cmake.in ${PROJECT_BINARY_DIR}/nanosslConfig.cmake
  INSTALL_DESTINATION ${config_dir})
# find_package(nanossl X.Y) accepts this version when it is X.Y or newer with the same major number.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nanosslConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nanosslConfig.cmake ${PROJECT_BINARY_DIR}/nanosslConfigVersion.cmake
  cmake/FindTurboJPEG.cmake DESTINATION ${config_dir})

# pkg-config: the prefix is found from the .pc file's own place (pkg-config's
# ${pcfiledir}), so an install moved after `cmake --install --prefix` still works.
file(RELATIVE_PATH NANOSSL_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" NANOSSL_PC_TO_PREFIX "${NANOSSL_PC_TO_PREFIX}")
set(NANOSSL_PC_CFLAGS "")
set(NANOSSL_PC_LIBS "")
if(NANOSSL_WITH_CUDA)
  # NVIDIA's toolkit is not under the prefix: its own absolute paths, and an rpath,
  # as its libraries are often outside the loader's default search path.
  foreach(dir ${CUDAToolkit_INCLUDE_DIRS})
    string(APPEND NANOSSL_PC_CFLAGS " -I${dir}")
  endforeach()
  string(APPEND NANOSSL_PC_CFLAGS " -DNANOSSL_WITH_CUDA=1")
  string(APPEND NANOSSL_PC_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -Wl,-rpath,${CUDAToolkit_LIBRARY_DIR} -lcudart -lcublas")
endif()
configure_file(cmake/nanossl.pc.in ${PROJECT_BINARY_DIR}/nanossl.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nanossl.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
