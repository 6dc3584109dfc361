// What a store's item_marks rows say, as the store reads them (src/store/marks.h): reads
// "seq|owner|ids-as-hex" lines in seq order from stdin and prints "DELIVERED HELD": how many
// custom_ids are delivered, and how many are claimed by a run and not delivered. A row with
// no owner is delivered ids; a run's row without ids gives back what the run held.
"use strict";
const owners = new Map();
for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [, owner, hex] = line.split("|");
  const bytes = Buffer.from(hex, "hex");
  if (owner !== "" && bytes.length === 0) {
    for (const [id, held] of owners) if (held === owner) owners.delete(id);
    continue;
  }
  for (let at = 0; at < bytes.length;) {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      len += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
    }
    const id = bytes.subarray(at, at + len).toString("latin1");
    at += len;
    if (owners.get(id) !== "") owners.set(id, owner);
  }
}
let delivered = 0;
for (const held of owners.values()) if (held === "") delivered++;
console.log(`${delivered} ${owners.size - delivered}`);
