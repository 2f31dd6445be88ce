import { parseCidr, parseSocketAddress } from "../../../assembly/acl/address";

function inRange(cidr: string, socketAddress: string): bool {
  return parseCidr(cidr).cidr!.contains(parseSocketAddress(socketAddress)!);
}

describe("socket addresses", () => {
  it("parses IPv4 and IPv6 with ports", () => {
    expect(parseSocketAddress("192.0.2.10:9092")!.toString()).toBe("192.0.2.10");
    expect(parseSocketAddress("[2001:db8::7]:9092")!.toString()).toBe("2001:db8:0:0:0:0:0:7");
    expect(parseSocketAddress("[::1]:1")!.toString()).toBe("0:0:0:0:0:0:0:1");
    expect(parseSocketAddress("[::]:1")!.toString()).toBe("0:0:0:0:0:0:0:0");
    expect(parseSocketAddress("[1:2:3:4:5:6:7:8]:1")!.toString()).toBe("1:2:3:4:5:6:7:8");
    expect(parseSocketAddress("[fe80::1:2]:1")!.toString()).toBe("fe80:0:0:0:0:0:1:2");
    expect(parseSocketAddress("[64:ff9b::192.0.2.1]:1")!.toString()).toBe("64:ff9b:0:0:0:0:c000:201");
  });
  it("turns IPv4-mapped IPv6 into IPv4", () => {
    const address = parseSocketAddress("[::ffff:10.1.2.3]:40000")!;
    expect(address.family).toBe(4);
    expect(address.toString()).toBe("10.1.2.3");
  });
  it("refuses what is not an IP address", () => {
    const bad: string[] = [
      "", "/tmp/socket", "host.example:9092", "256.0.0.1:1", "1.2.3:1", "1.2.3.4.5:1", "01.2.3.4:1", "[::1:1",
      "[1:2:3:4:5:6:7:8:9]:1", "[1::2::3]:1", "[12345::]:1", "[:1]:1", "[1:]:1", "[::1]x", "[1:2:3:4:5:6:7]:1",
      "[::ffff:1.2.3]:1", "[g::]:1", "1.2.3.-4:1",
    ];
    for (let i = 0; i < bad.length; i++) expect(parseSocketAddress(bad[i]) == null).toBe(true, bad[i]);
  });
});

describe("CIDR ranges", () => {
  it("matches IPv4 ranges at their edges", () => {
    expect(inRange("10.0.0.0/8", "10.0.0.0:1")).toBe(true);
    expect(inRange("10.0.0.0/8", "10.255.255.255:1")).toBe(true);
    expect(inRange("10.0.0.0/8", "11.0.0.0:1")).toBe(false);
    expect(inRange("10.0.0.0/8", "9.255.255.255:1")).toBe(false);
    expect(inRange("192.0.2.128/25", "192.0.2.128:1")).toBe(true);
    expect(inRange("192.0.2.128/25", "192.0.2.127:1")).toBe(false);
  });
  it("treats /0 as every address of its family", () => {
    expect(inRange("0.0.0.0/0", "203.0.113.9:1")).toBe(true);
    expect(inRange("0.0.0.0/0", "[2001:db8::1]:1")).toBe(false);
    expect(inRange("::/0", "[2001:db8::1]:1")).toBe(true);
    expect(inRange("::/0", "203.0.113.9:1")).toBe(false);
  });
  it("treats /32 and /128 (and bare addresses) as one host", () => {
    expect(inRange("192.0.2.7/32", "192.0.2.7:1")).toBe(true);
    expect(inRange("192.0.2.7/32", "192.0.2.6:1")).toBe(false);
    expect(inRange("192.0.2.7", "192.0.2.7:1")).toBe(true);
    expect(inRange("2001:db8::7/128", "[2001:db8::7]:1")).toBe(true);
    expect(inRange("2001:db8::7/128", "[2001:db8::6]:1")).toBe(false);
    expect(inRange("2001:db8::7", "[2001:db8::7]:1")).toBe(true);
  });
  it("matches IPv6 prefixes on both sides of the 64-bit boundary", () => {
    expect(inRange("2001:db8::/32", "[2001:db8:ffff::1]:1")).toBe(true);
    expect(inRange("2001:db8::/32", "[2001:db9::1]:1")).toBe(false);
    expect(inRange("2001:db8:0:0:8000::/65", "[2001:db8::8000:0:0:1]:1")).toBe(true);
    expect(inRange("2001:db8:0:0:8000::/65", "[2001:db8::7fff:0:0:1]:1")).toBe(false);
    expect(inRange("2001:db8::/64", "[2001:db8::ffff:ffff:ffff:ffff]:1")).toBe(true);
    expect(inRange("2001:db8::/64", "[2001:db8:0:1::]:1")).toBe(false);
  });
  it("never mixes families", () => {
    expect(inRange("10.0.0.0/8", "[a00::1]:1")).toBe(false);
    expect(inRange("::/96", "10.0.0.1:1")).toBe(false);
    // A mapped address is IPv4, so an IPv4 range holds it.
    expect(inRange("10.0.0.0/8", "[::ffff:10.0.0.1]:1")).toBe(true);
  });
  it("says what is wrong with a bad range", () => {
    expect(parseCidr("10.0.0.0/33").error).toBe("prefix length must be a number from 0 to 32");
    expect(parseCidr("::/129").error).toBe("prefix length must be a number from 0 to 128");
    expect(parseCidr("10.0.0.0/").error).toBe("prefix length must be a number from 0 to 32");
    expect(parseCidr("10.0.0.0/x").error).toBe("prefix length must be a number from 0 to 32");
    expect(parseCidr("10.1.0.0/8").error).toBe("address has bits set beyond the /8 prefix");
    expect(parseCidr("2001:db8::1/64").error).toBe("address has bits set beyond the /64 prefix");
    expect(parseCidr("example.com/8").error).toBe("not an IPv4 or IPv6 address");
    expect(parseCidr("").error).toBe("not an IPv4 or IPv6 address");
  });
});
