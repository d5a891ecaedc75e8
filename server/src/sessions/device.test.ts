import { describeDevice } from './device.js';

const UA = {
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  chromeMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};

describe('describeDevice', () => {
  it.each([
    [UA.firefoxLinux, 'Firefox on Linux'],
    [UA.edgeWindows, 'Microsoft Edge on Windows'],
    [UA.safariIphone, 'Safari on iOS'],
    [UA.chromeMac, 'Chrome on macOS'],
    [UA.chromeAndroid, 'Chrome on Android'],
  ])('when the User-Agent is a common browser, then only its family and OS family are kept (%#)', (ua, expected) => {
    expect(describeDevice(ua)).toBe(expected);
  });

  it('when the User-Agent names a version or a device model, then neither is in the description', () => {
    const described = describeDevice(UA.chromeAndroid) ?? '';
    expect(described).not.toMatch(/\d|Pixel/);
  });

  it('when there is no User-Agent, or nothing in it is recognised, then there is no description', () => {
    expect(describeDevice(undefined)).toBeUndefined();
    expect(describeDevice('')).toBeUndefined();
    expect(describeDevice('   ')).toBeUndefined();
    expect(describeDevice('curl/8.5.0')).toBeUndefined();
  });

  it('when the User-Agent is made up, then nothing of it is echoed: the words come from a fixed list', () => {
    expect(describeDevice('EvilBrowser/1.0 (<script>alert(1)</script>)')).toBeUndefined();
    expect(describeDevice('Totally<b>Custom</b>/9.9 (X11; Linux x86_64)')).toBe('A browser on Linux');
  });

  it('when the User-Agent is very long, then it is still described, from its beginning', () => {
    expect(describeDevice(UA.firefoxLinux + ' x'.repeat(50_000))).toBe('Firefox on Linux');
  });
});
