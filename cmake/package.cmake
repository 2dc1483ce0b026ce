# `cpack -G DEB` in the build directory (scripts/package.sh): a Debian package of
# what cmake/install.cmake installs, under /usr. Its Depends come from
# dpkg-shlibdeps, which CPack runs with --ignore-missing-info: a library that no
# Debian package provides (NVIDIA's CUDA runtime and cuBLAS, installed by NVIDIA's
# runfile under /usr/local/cuda) is left out of Depends instead of failing the
# build, and the description says what a CUDA build needs besides.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nanossl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # nanossl_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "nanossl maintainers <maintainers@users.noreply.r-seed-74b86966.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "contrastive self-supervised learning from scratch: a C++ deep-learning engine")
# Plain lines, a blank one between paragraphs: CPack puts the summary first and
# indents the rest as a control file's long description.
set(CPACK_PACKAGE_DESCRIPTION
  "nanossl is a from-scratch deep-learning engine in C++20 (tensors, autograd, CPU
kernels, CUDA kernels with cuBLAS, ResNet, SimCLR, MoCo v2, BYOL) and the nanossl
program, which runs the four studies of Cole et al. (CVPR 2022) on when
contrastive visual representation learning works. The package holds the
program, its presets and documentation, and the static libraries, headers,
CMake package and pkg-config file to build against the engine.
")
if(NANOSSL_WITH_CUDA)
  # dpkg-shlibdeps must find the CUDA libraries to read them (and then skip them).
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CUDAToolkit_LIBRARY_DIR})
  string(APPEND CPACK_PACKAGE_DESCRIPTION "
This build has the CUDA backend: it also needs NVIDIA's CUDA ${CUDAToolkit_VERSION_MAJOR}
runtime (libcudart) and cuBLAS, from NVIDIA's installer (under /usr/local/cuda),
which no Debian package provides and Depends therefore does not name. A build
configured with -DNANOSSL_CUDA=OFF needs only Debian packages.")
else()
  string(APPEND CPACK_PACKAGE_DESCRIPTION "
This build is CPU-only: it needs only the Debian packages it depends on.")
endif()
include(CPack)
