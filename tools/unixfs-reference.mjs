#!/usr/bin/env node
// The reference CIDs: ipfs-unixfs-importer (the importer js-ipfs and Helia use) with the
// settings of `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144` (balanced
// layout, 174 links per node). The tests compare ledger/documents/cid.py with it.
//
//   node tools/unixfs-reference.mjs FILE...   -> one JSON line per file: {"file", "cid", "size"}
//
// Blocks go to an in-memory blockstore and are dropped; only the root CID is printed.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import { MemoryBlockstore } from 'blockstore-core/memory';
import { importer } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';

const CHUNK_SIZE = 262144;
const MAX_CHILDREN_PER_NODE = 174;

async function importFile(file) {
  const blockstore = new MemoryBlockstore();
  const options = {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
  };
  let root;
  for await (const entry of importer([{ content: createReadStream(file) }], blockstore, options)) {
    root = entry;
  }
  return { file, cid: root.cid.toString(), size: (await stat(file)).size };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: unixfs-reference.mjs FILE...\n');
  process.exit(2);
}
for (const file of files) {
  process.stdout.write(JSON.stringify(await importFile(file)) + '\n');
}
