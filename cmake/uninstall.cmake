# uninstall.cmake: undoes `cmake --install` (cmake -P, run by the uninstall
# target).  Removes every file install_manifest.txt lists, under $DESTDIR
# when set, and says so file by file.  Configuration is the seller's: a file
# in CONFDIR is removed only while it is still the example as shipped
# (EXAMPLES/NAME); an edited one, and the credentials, are kept and named.
# Then the folders the install made are removed when empty, and systemd and
# journald are told (only for an uninstall from this machine's root).
#   -DMANIFEST=FILE -DCONFDIR=DIR -DEXAMPLES=DIR -DDOCDIR=DIR

if(NOT EXISTS "${MANIFEST}")
    message(FATAL_ERROR "${MANIFEST} not found: nothing was installed from this build folder "
                        "(run cmake --install first)")
endif()
set(_root "$ENV{DESTDIR}")

if(_root STREQUAL "" AND EXISTS /run/systemd/system)
    execute_process(COMMAND systemctl is-active --quiet approvald.service RESULT_VARIABLE _active)
    if(_active EQUAL 0)
        message(WARNING "approvald.service is running: stop it first "
                        "(systemctl disable --now approvald); its program is being removed")
    endif()
endif()

file(STRINGS "${MANIFEST}" _files)
set(_removed 0)
set(_kept)
foreach(_f IN LISTS _files)
    set(_p "${_root}${_f}")
    if(NOT EXISTS "${_p}" AND NOT IS_SYMLINK "${_p}")
        message(STATUS "Already gone: ${_p}")
        continue()
    endif()
    string(FIND "${_f}" "${CONFDIR}/" _in_confdir)
    if(_in_confdir EQUAL 0)
        get_filename_component(_name "${_f}" NAME)
        execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${_p}" "${EXAMPLES}/${_name}"
                        RESULT_VARIABLE _differs OUTPUT_QUIET ERROR_QUIET)
        if(NOT _differs EQUAL 0)
            list(APPEND _kept "${_p}")
            continue()
        endif()
    endif()
    file(REMOVE "${_p}")
    if(EXISTS "${_p}" OR IS_SYMLINK "${_p}")
        message(SEND_ERROR "Could not remove: ${_p}")
    else()
        message(STATUS "Removed: ${_p}")
        math(EXPR _removed "${_removed} + 1")
    endif()
endforeach()

# Folders of this project's own, deepest first; only empty ones go.
foreach(_d "${DOCDIR}/examples" "${DOCDIR}" "${CONFDIR}/credentials" "${CONFDIR}")
    set(_p "${_root}${_d}")
    if(NOT IS_DIRECTORY "${_p}")
        continue()
    endif()
    file(GLOB _left "${_p}/*" "${_p}/.*")
    if(_left)
        list(APPEND _kept "${_p}/ (not empty)")
    else()
        file(REMOVE_RECURSE "${_p}")
        message(STATUS "Removed: ${_p}/")
    endif()
endforeach()

if(_root STREQUAL "")
    find_program(_journalctl journalctl)
    if(_journalctl)
        execute_process(COMMAND ${_journalctl} --update-catalog)
    endif()
    if(EXISTS /run/systemd/system)
        execute_process(COMMAND systemctl daemon-reload)
    endif()
endif()

message(STATUS "approvald uninstalled: ${_removed} files removed")
foreach(_k IN LISTS _kept)
    message(STATUS "Kept (your configuration; remove it by hand if no longer needed): ${_k}")
endforeach()
message(STATUS "The decision journal, if the service ever ran, is in /var/lib/private/approvald")
