rule broken_reference {
  strings:
    $a = "inert_marker_text"
  condition:
    $a and $b
}
