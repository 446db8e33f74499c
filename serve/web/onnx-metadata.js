// onnx-metadata.js: what an ONNX file says about itself (its producer and the
// metadata_props `export` writes, DESIGN.md §2), read straight from the ModelProto's
// protobuf bytes, without a protobuf library. dcgan.js re-exports `onnxMetadata`.

function readVarint(buf, pos) {
  let value = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('not an ONNX model: truncated protobuf varint');
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) return [value, pos];
  }
}

/** The protobuf fields of buf[start, end): {field, wire, value} (value: number or [start, end) bytes). */
function* protoFields(buf, start, end) {
  let pos = start;
  while (pos < end) {
    const [key, p] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = p;
    if (wire === 0) {
      const [value, q] = readVarint(buf, pos);
      pos = q;
      yield { field, wire, value };
      continue;
    }
    let len;
    if (wire === 1) len = 8;
    else if (wire === 5) len = 4;
    else if (wire === 2) [len, pos] = readVarint(buf, pos);
    else throw new Error(`not an ONNX model: protobuf wire type ${wire} at byte ${pos}`);
    if (pos + len > end) throw new Error('not an ONNX model: protobuf field runs past the end');
    yield { field, wire, start: pos, end: pos + len };
    pos += len;
  }
}

/**
 * What a ModelProto says about itself: ir_version (1), producer_name (2),
 * producer_version (3) and metadata_props (14: StringStringEntryProto {1: key, 2: value}).
 */
export function onnxMetadata(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const text = new TextDecoder();
  const str = (f) => text.decode(buf.subarray(f.start, f.end));
  const out = { irVersion: null, producerName: '', producerVersion: '', props: {} };
  for (const f of protoFields(buf, 0, buf.length)) {
    if (f.field === 1 && f.wire === 0) out.irVersion = f.value;
    else if (f.field === 2 && f.wire === 2) out.producerName = str(f);
    else if (f.field === 3 && f.wire === 2) out.producerVersion = str(f);
    else if (f.field === 14 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of protoFields(buf, f.start, f.end)) {
        if (e.field === 1 && e.wire === 2) key = str(e);
        else if (e.field === 2 && e.wire === 2) value = str(e);
      }
      out.props[key] = value;
    }
  }
  return out;
}
