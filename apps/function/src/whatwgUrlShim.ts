// Bundled in place of whatwg-url (a dependency of node-fetch 2, under @cognite/sdk-core's
// cross-fetch). node-fetch takes `Url.URL || whatwgUrl.URL` and node's url module always has URL,
// so whatwg-url is never used; evaluating it (with tr46's mapping table) cost every call 10-15 ms.
export default { URL: globalThis.URL };
