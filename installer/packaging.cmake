# Install rules for everything except the binary (gui/CMakeLists.txt installs
# that), and the Debian package built by `make package` (`cpack -G DEB`).
# Not done here: a Debian copyright file and changelog, so lintian reports
# errors. The package is for installing with apt or dpkg, not for the Debian
# archive.

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

# Depends: every "run:" line of debian-packages.txt, the list that
# scripts/setup.sh installs from, so the two cannot drift apart.
include(${GPUPOOR_INSTALLER_DIR}/debian_depends.cmake)
set(GPUPOOR_PACKAGE_LIST ${GPUPOOR_INSTALLER_DIR}/debian-packages.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${GPUPOOR_PACKAGE_LIST})
gpupoor_read_run_packages(${GPUPOOR_PACKAGE_LIST} CPACK_DEBIAN_PACKAGE_DEPENDS)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gpupoor)
set(CPACK_PACKAGE_VENDOR "gpu-poor project")
set(CPACK_PACKAGE_CONTACT "gpu-poor maintainers <maintainers@example.invalid>")
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
