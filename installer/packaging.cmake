# Install rules for everything except the binary (gui/CMakeLists.txt installs
# that), and the Debian package built by `make package` (`cpack -G DEB`).
# The package is for installing with apt or dpkg, not for the Debian archive:
# it has a copyright file and a one-entry changelog, but no source package.

set(GPUPOOR_INSTALLER_DIR ${CMAKE_CURRENT_LIST_DIR})

# Bundled resources. The binary finds them at <bin>/../share/gpupoor.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/resources/
  DESTINATION ${GPUPOOR_RESOURCE_INSTALL_DIR})

# Desktop integration: launcher, icons in the hicolor theme, AppStream data.
install(FILES ${GPUPOOR_INSTALLER_DIR}/gpupoor.desktop
  DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
foreach(size IN ITEMS 48 128 256)
  install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/gpupoor-${size}.png
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
    RENAME gpupoor.png)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/gpupoor.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${GPUPOOR_INSTALLER_DIR}/io.github.gpupoor.metainfo.xml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)

# Debian's per-package documentation: the licences of the bundled data and a
# changelog entry for this version. The date follows SOURCE_DATE_EPOCH when
# it is set, so rebuilding the same version gives the same file.
set(GPUPOOR_MAINTAINER "gpu-poor maintainers <maintainers@example.invalid>")
string(TIMESTAMP GPUPOOR_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(GPUPOOR_CHANGELOG_DIR ${CMAKE_BINARY_DIR}/installer)
configure_file(${GPUPOOR_INSTALLER_DIR}/debian/changelog.in
  ${GPUPOOR_CHANGELOG_DIR}/changelog.Debian @ONLY)
file(ARCHIVE_CREATE OUTPUT ${GPUPOOR_CHANGELOG_DIR}/changelog.Debian.gz
  PATHS ${GPUPOOR_CHANGELOG_DIR}/changelog.Debian FORMAT raw COMPRESSION GZip)
install(FILES ${GPUPOOR_INSTALLER_DIR}/debian/copyright
  ${GPUPOOR_CHANGELOG_DIR}/changelog.Debian.gz
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/gpupoor)

# Depends: every "run:" line of debian-packages.txt, the list that
# scripts/setup.sh installs from, so the two cannot drift apart.
include(${GPUPOOR_INSTALLER_DIR}/debian_depends.cmake)
set(GPUPOOR_PACKAGE_LIST ${GPUPOOR_INSTALLER_DIR}/debian-packages.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${GPUPOOR_PACKAGE_LIST})
gpupoor_read_run_packages(${GPUPOOR_PACKAGE_LIST} CPACK_DEBIAN_PACKAGE_DEPENDS)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gpupoor)
set(CPACK_PACKAGE_VENDOR "gpu-poor project")
set(CPACK_PACKAGE_CONTACT ${GPUPOOR_MAINTAINER})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${CPACK_PACKAGE_CONTACT})
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
# Depends comes from the list above, not from dpkg-shlibdeps, so that the Qt
# platform plugins and the font, which ldd does not show, are included.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# CPack puts the summary on the first line of the control file Description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "A desktop workbench (Qt 6) and command line that load GPT-2
checkpoints in the Hugging Face layout, quantize a copy to INT8 and run the
same prompts through the FP32 model and the INT8 copy on the CPU. It
measures memory, speed, BLEU, perplexity and KL divergence. A small demo
model (not GPT-2) and a WikiText-2 excerpt are included, so it works
without a download.")

include(CPack)
