# Finds libjpeg-turbo's TurboJPEG API (turbojpeg.h and libturbojpeg) and defines the
# imported target TurboJPEG::TurboJPEG. nanossl links that target, so its exported
# link names a target instead of a path on the machine that built it; nanossl's
# package config installs this file beside itself and finds the library again on
# the consumer's machine.
find_path(TurboJPEG_INCLUDE_DIR NAMES turbojpeg.h)
find_library(TurboJPEG_LIBRARY NAMES turbojpeg)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(TurboJPEG REQUIRED_VARS TurboJPEG_LIBRARY TurboJPEG_INCLUDE_DIR)
if(TurboJPEG_FOUND AND NOT TARGET TurboJPEG::TurboJPEG)
  add_library(TurboJPEG::TurboJPEG UNKNOWN IMPORTED)
  set_target_properties(TurboJPEG::TurboJPEG PROPERTIES
    IMPORTED_LOCATION "${TurboJPEG_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${TurboJPEG_INCLUDE_DIR}")
endif()
mark_as_advanced(TurboJPEG_INCLUDE_DIR TurboJPEG_LIBRARY)
