# Sourced by /init. Reads this instance's identity from the SMBIOS type 11
# (OEM strings) table that the host passes with
#   -smbios type=11,value=loco.env=ENV,value=loco.name=NAME,value=loco.index=I,value=loco.count=N
# and sets LOCO_ENV, LOCO_NAME, LOCO_INDEX, LOCO_COUNT (safe fallbacks otherwise).

loco_valid_name() { # same rule as the host: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
  case $1 in
    '' | *[!a-z0-9-]* | -* | *-) return 1 ;;
  esac
  [ ${#1} -le 63 ]
}

loco_valid_number() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
  esac
  [ ${#1} -le 4 ]
}

loco_read_identity() {
  LOCO_ENV=loco LOCO_NAME='' LOCO_INDEX=0 LOCO_COUNT=1
  raw=/sys/firmware/dmi/entries/11-0/raw
  if [ -r "$raw" ]; then
    # Byte 1 of an SMBIOS structure is the length of its formatted part;
    # the strings follow it, each terminated by a NUL.
    hdr=$(od -An -tu1 -j1 -N1 "$raw" | tr -d ' ')
    tail -c +$((hdr + 1)) "$raw" | tr '\0' '\n' >/run/loco/oem-strings
    while IFS= read -r kv; do
      case $kv in
        loco.env=*) LOCO_ENV=${kv#loco.env=} ;;
        loco.name=*) LOCO_NAME=${kv#loco.name=} ;;
        loco.index=*) LOCO_INDEX=${kv#loco.index=} ;;
        loco.count=*) LOCO_COUNT=${kv#loco.count=} ;;
      esac
    done </run/loco/oem-strings
  fi
  # These end up on screen and in IP addresses: accept only the expected forms.
  loco_valid_name "$LOCO_ENV" || LOCO_ENV=loco
  loco_valid_number "$LOCO_INDEX" || LOCO_INDEX=0
  loco_valid_number "$LOCO_COUNT" || LOCO_COUNT=1
  # Strip leading zeros: $((010)) would be octal.
  LOCO_INDEX=${LOCO_INDEX#"${LOCO_INDEX%%[!0]*}"}
  LOCO_COUNT=${LOCO_COUNT#"${LOCO_COUNT%%[!0]*}"}
  : "${LOCO_INDEX:=0}" "${LOCO_COUNT:=1}"
  [ "$LOCO_COUNT" -gt "$LOCO_INDEX" ] || LOCO_COUNT=$((LOCO_INDEX + 1))
  loco_valid_name "$LOCO_NAME" || LOCO_NAME=$LOCO_ENV-$LOCO_INDEX
}
