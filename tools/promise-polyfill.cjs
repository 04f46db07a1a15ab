// Promise.withResolvers (ES2024) for Node 20: js-ipfs 0.66.1's dependencies call it, and
// Node ships it only from 22 on. Loaded with NODE_OPTIONS=--require before anything else.
'use strict';

if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
