target_sources(sshm_lib PRIVATE
  documents/document.cpp
  documents/interpolate.cpp
  documents/parameters.cpp
  documents/plugins.cpp
  documents/source.cpp
)

# Built-in documents: documents/*.{json,yaml} become one generated source.
include(${PROJECT_SOURCE_DIR}/documents/documents.cmake)
set(builtin_inputs ${PROJECT_SOURCE_DIR}/documents/documents.cmake ${PROJECT_SOURCE_DIR}/cmake/EmbedDocuments.cmake)
foreach(file ${SSHM_BUILTIN_DOCUMENTS})
  list(APPEND builtin_inputs ${PROJECT_SOURCE_DIR}/documents/${file})
endforeach()
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/builtin_documents.cpp
  COMMAND ${CMAKE_COMMAND} -DDOCUMENTS_DIR=${PROJECT_SOURCE_DIR}/documents
          -DOUTPUT=${CMAKE_CURRENT_BINARY_DIR}/builtin_documents.cpp
          -P ${PROJECT_SOURCE_DIR}/cmake/EmbedDocuments.cmake
  DEPENDS ${builtin_inputs}
  COMMENT "Embedding built-in documents"
  VERBATIM)
target_sources(sshm_lib PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/builtin_documents.cpp)
