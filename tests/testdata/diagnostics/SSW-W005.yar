rule always_true {
  strings:
    $a = "inert_marker_text"
  condition:
    $a or true
}
