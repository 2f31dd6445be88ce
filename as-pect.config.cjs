// as-pect 8 configuration (created by the codec work because none existed yet; the
// lead owns it). In as-pect 8, `entries` are the spec files and `include` lists files
// added to every test compilation; compiler flags live in as-pect.asconfig.json.
module.exports = {
  entries: ["tests/unit/**/*.spec.ts"],
  include: ["tests/unit/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
