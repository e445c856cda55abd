file(REMOVE_RECURSE
  "libwire.a"
)
