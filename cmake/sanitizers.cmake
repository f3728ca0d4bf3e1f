if(CREMA_SANITIZE)
  add_compile_options(-fsanitize=${CREMA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CREMA_SANITIZE})
endif()
