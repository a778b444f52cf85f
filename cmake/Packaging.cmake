# `cpack -G DEB` (from the build directory) makes an installable Debian package of what
# `cmake --install` installs: the binary, the manual page, the shell completions and the
# built-in documents. Library dependencies are found by dpkg-shlibdeps (package dpkg-dev).
set(CPACK_PACKAGE_NAME sshm)
set(CPACK_PACKAGE_VENDOR "sshm")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "sshm maintainers <sshm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Systems Manager over SSH: Run Command, Patch Manager, Inventory for Linux fleets, no agent")
set(CPACK_PACKAGE_DESCRIPTION "sshm gives a fleet of Linux servers what AWS Systems Manager gives EC2 (SSM documents,
Run Command, Parameter Store, State Manager, Patch Manager, Inventory, Compliance) over plain SSH.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client")
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
