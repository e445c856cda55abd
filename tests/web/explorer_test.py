"""The explorer in headless Chromium, driven by Selenium (see t_explorer.sh).

For every story of the catalogue: the page runs it (the real stack, in WebAssembly); the story
must be the native CLI's to the last event (`scenario run all --json`), the drawn ladder must
agree with it (number of segments and of lost ones), its state boxes must be the story's state changes in order, and every check
of the catalogue must be listed as holding. Then a click on a segment that carries a SYN, a FIN
or data and "Lose it" must re-run the story with that segment drawn lost, the choice in the URL,
and a later transmission of the same sequence number (the retransmission). Then a capture of the
Linux kernel (tests/vectors) is opened from disk, as pcap and as pcapng, and its ladder checked;
the pcap and SVG downloads are checked; keys lose a segment; the phone-width layout must not
overflow. Screenshots go to --shots and must not be blank.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

ap = argparse.ArgumentParser()
ap.add_argument('--cli', required=True)
ap.add_argument('--dir', required=True)
ap.add_argument('--src', required=True)
ap.add_argument('--shots', required=True)
ap.add_argument('--native', required=True)
ap.add_argument('--native-dir', required=True)
args = ap.parse_args()

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL:', msg, flush=True)


def expect(cond, msg):
    if not cond:
        fail(msg)
    return cond


# The native catalogue: "NAME  ok  N segments, N lost, N retransmitted, ..."
native = {}
for line in open(args.native):
    m = re.match(r'(\S+)\s+ok\s+(\d+) segments, (\d+) lost, (\d+) retransmitted', line)
    if m:
        native[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))

server = subprocess.Popen([args.cli, 'explore', '--port', '0', '--dir', args.dir], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
profile = tempfile.mkdtemp(prefix='synack-web-')
downloads = os.path.join(profile, 'downloads')
os.makedirs(downloads)
driver = None
try:
    first = server.stdout.readline()
    m = re.search(r'http://127\.0\.0\.1:(\d+)/', first)
    if not m:
        print('FAIL: synack explore printed no URL:', first)
        sys.exit(1)
    url = 'http://127.0.0.1:%s/' % m.group(1)
    print('synack explore:', first.strip())

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which('chromium')
    for a in ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
              '--disable-background-networking', '--disable-component-update', '--disable-sync',
              '--disable-dev-shm-usage', '--user-data-dir=' + profile]:
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    driver.set_window_size(1400, 1000)
    driver.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads})
    js = driver.execute_script

    def wait(cond, what, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            v = cond()
            if v:
                return v
            time.sleep(0.03)
        fail('timed out waiting for ' + what)
        return None

    def runs():
        return int(js('return document.body.dataset.runs || 0'))

    def goto(hash_, story):
        before = runs()
        js('location.hash = arguments[0]', hash_)
        return wait(lambda: runs() > before and js('return document.body.dataset.story') == story,
                    'the page to run ' + hash_)

    def shot(name):
        """Saves a screenshot and checks in the page itself that it is not blank."""
        path = os.path.join(args.shots, name + '.png')
        png = driver.get_screenshot_as_png()
        with open(path, 'wb') as f:
            f.write(png)
        stats = driver.execute_async_script('''
            const done = arguments[1], img = new Image();
            img.onload = () => {
              const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
              const g = c.getContext('2d'); g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data, colours = new Set();
              let ink = 0;
              for (let i = 0; i < d.length; i += 4 * 7) {
                colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
                if (d[i] + d[i + 1] + d[i + 2] < 600) ink++;
              }
              done([colours.size, ink / (d.length / 28), img.width, img.height]);
            };
            img.onerror = () => done([0, 0, 0, 0]);
            img.src = 'data:image/png;base64,' + arguments[0];''', base64.b64encode(png).decode())
        expect(stats[0] >= 16 and stats[1] > 0.01, '%s.png looks blank (%d colours, %.3f ink)' % (name, stats[0], stats[1]))
        return path

    phase = time.time()

    def lap(what):
        global phase
        print('  %-40s %.1f s' % (what, time.time() - phase), flush=True)
        phase = time.time()

    # ---- first load: the default story, and how long the first drawing took ----
    t0 = time.time()
    driver.get(url)
    wait(lambda: js('return document.body.dataset.state') in ('ready', 'error'), 'the first story')
    expect(js('return document.body.dataset.state') == 'ready', 'the page started: ' + str(js('return document.getElementById("error").textContent')))
    timing = js('const d = document.body.dataset; return [d.loadMs, d.runMs, d.drawMs, d.firstDrawMs]')
    print('first load: wasm fetched and compiled in %s ms, story run in %s ms, drawn in %s ms; first draw %s ms after '
          'the script started (%.0f ms wall clock with the page load)' % (timing[0], timing[1], timing[2], timing[3],
                                                                          (time.time() - t0) * 1000))
    shot('first-load')
    lap('first load')
    names = js('return explorer.names')
    expect(len(names) == len(native) and len(names) >= 30, 'the page lists the catalogue (%d stories, native %d)' % (len(names), len(native)))

    collect = '''
      const segs = [...document.querySelectorAll('#ladder g.ev[data-seg]')].map(g => ({
        seg: +g.dataset.seg, lost: !!g.querySelector('line[stroke-dasharray]'), cls: g.getAttribute('class') }));
      const states = [...document.querySelectorAll('#ladder text.st')].map(t => t.textContent);
      return { segs, states,
        ok: document.querySelectorAll('#checks li.ok').length, bad: document.querySelectorAll('#checks li.fail').length,
        notes: document.querySelectorAll('#notes li').length,
        fsm: [...document.querySelectorAll('#fsm .node.c text:first-of-type, #fsm .node.s text:first-of-type')].map(t => t.textContent),
        hash: location.hash };'''

    def consumes(e):
        return e['len'] > 0 or 'S' in e['flags'] or 'F' in e['flags']

    broken = 0
    no_rtx = []
    for name in names:
        if not goto('s=' + name, name):
            continue
        st = js('return explorer.story')
        d = js(collect)
        ev = st['events']
        segs = [e for e in ev if e['k'] == 'seg']
        expect(st['ok'] and d['bad'] == 0 and d['ok'] == len(st['checks']) and d['ok'] > 0,
               '%s: the catalogue\'s %d checks hold in the page (%d listed ok, %d failed)' % (name, len(st['checks']), d['ok'], d['bad']))
        expect(len(d['segs']) == len(segs) == st['segments'], '%s: %d segments drawn, %d in the story' % (name, len(d['segs']), len(segs)))
        # The same story, to the last event, as the native CLI wrote it (x86-64 and wasm32 alike).
        nj = os.path.join(args.native_dir, name + '.json')
        if expect(os.path.exists(nj), '%s: the native CLI wrote %s' % (name, nj)):
            with open(nj) as f:
                nat = json.load(f)
            same = nat == st
            if not same:
                diff = [k for k in set(nat) | set(st) if nat.get(k) != st.get(k)]
                fail('%s: the page\'s story differs from the native one in %s' % (name, diff))
        if name in native:
            expect((st['segments'], st['lost'], st['retrans']) == native[name],
                   '%s: the page (%d segments, %d lost, %d retransmitted) agrees with the native CLI %s' %
                   (name, st['segments'], st['lost'], st['retrans'], native[name]))
        expect(sum(s['lost'] for s in d['segs']) == st['lost'], '%s: %d lost arrows drawn, %d lost' % (name, sum(s['lost'] for s in d['segs']), st['lost']))
        expect(d['states'] == [e['to'] for e in ev if e['k'] == 'state'], '%s: the drawn states are the story\'s state changes' % name)
        last = ev[-1]['st']
        expect(len(d['fsm']) >= 1 and all(x in last for x in d['fsm']), '%s: the state diagram lights %s, the ends are %s' % (name, d['fsm'], last))

        # Break it: click a segment that carries sequence space, choose "Lose it".
        cands = [e for e in segs if consumes(e) and not e['lost'] and not e['inj']][:4]
        done = False
        for c in cands:
            k = c['seg']
            target = driver.find_element(By.CSS_SELECTOR, '#ladder g.ev[data-seg="%d"] line.hit' % k)
            js('arguments[0].scrollIntoView({block: "center"})', target)
            before = runs()
            # Arrows of a burst overlap: click where this arrow is the one on top.
            off = js('''
              const l = arguments[0], g = l.closest('g.ev'), m = l.getScreenCTM(), r = l.getBoundingClientRect();
              const p = (x, y) => ({ x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f });
              const a = p(+l.getAttribute('x1'), +l.getAttribute('y1')), b = p(+l.getAttribute('x2'), +l.getAttribute('y2'));
              for (let i = 0; i <= 40; i++) {
                const t = 0.5 + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * 0.0235, x = a.x + (b.x - a.x) * t, y = a.y + (b.y - a.y) * t;
                const hit = document.elementFromPoint(x, y);
                if (hit && hit.closest('g.ev') === g)
                  return [Math.round(x - (r.left + r.width / 2)), Math.round(y - (r.top + r.height / 2))];
              }
              return null;''', target)
            if not expect(off is not None, '%s: segment %d can be clicked somewhere' % (name, k)):
                continue
            ActionChains(driver).move_to_element_with_offset(target, off[0], off[1]).click().perform()
            if not wait(lambda: js('return !document.getElementById("menu").hidden'), '%s: the menu for segment %d' % (name, k), 5):
                break
            driver.find_element(By.CSS_SELECTOR, '#menu button[data-act="lose"]').click()
            wait(lambda: runs() > before, '%s: the story to run again without segment %d' % (name, k))
            st2 = js('return explorer.story')
            d2 = js(collect)
            expect(('lose=%d' % k) in d2['hash'], '%s: the URL records the choice (%s)' % (name, d2['hash']))
            lostseg = [e for e in st2['events'] if e['k'] == 'seg' and e['seg'] == k]
            drawn = [s for s in d2['segs'] if s['seg'] == k]
            expect(lostseg and lostseg[0]['lost'] and drawn and drawn[0]['lost'] and 'lost' in drawn[0]['cls'],
                   '%s: segment %d is drawn lost after the click' % (name, k))
            if lostseg:
                L = lostseg[0]
                rtx = [e for e in st2['events'] if e['k'] == 'seg' and e['seg'] > k and e['side'] == L['side']
                       and e['aseq'] == L['aseq'] and consumes(e) and not e['inj']]
                if rtx:
                    done = True
                    broken += 1
                    if broken == 1 or name == 'sack-one-loss':
                        shot('broken-' + name)
                    break
            goto('s=' + name, name)  # undo and try the next candidate
        if not done:
            no_rtx.append(name)
    lap('every story run, checked and broken')
    print('%d of %d stories broken by a click with the retransmission drawn' % (broken, len(names)))
    expect(not no_rtx, 'stories without a retransmission after losing one of their first segments: %s' % no_rtx)

    # ---- a link reproduces a story ----
    goto('s=sack-one-loss&lose=12&sack=off', 'sack-one-loss')
    a = js('return explorer.story.events.filter(e => e.k === "seg").map(e => e.label)')
    goto('s=syn-lost', 'syn-lost')
    goto('s=sack-one-loss&lose=12&sack=off', 'sack-one-loss')
    b = js('return explorer.story.events.filter(e => e.k === "seg").map(e => e.label)')
    expect(a == b and js('return explorer.story.config.sack') is False, 'the same link gives the same story (and SACK off is in force)')
    shot('sack-off-lose-12')

    # ---- keys: j selects the first segment, x loses it ----
    goto('s=normal-client-close', 'normal-client-close')
    before = runs()
    body = driver.find_element(By.TAG_NAME, 'body')
    ActionChains(driver).move_to_element(driver.find_element(By.ID, 'summary')).click().send_keys('j').send_keys('x').perform()
    wait(lambda: runs() > before, 'the keys j x to re-run the story')
    expect('lose=1' in js('return location.hash'), 'keys: j then x loses segment 1 (%s)' % js('return location.hash'))

    lap('links and keys')
    # ---- downloads: the pcap of the story and its SVG ----
    goto('s=sack-one-loss', 'sack-one-loss')
    driver.find_element(By.ID, 'dl-pcap').click()
    driver.find_element(By.ID, 'dl-svg').click()
    pcap = os.path.join(downloads, 'sack-one-loss.pcap')
    svg = os.path.join(downloads, 'sack-one-loss.svg')
    wait(lambda: os.path.exists(pcap) and os.path.exists(svg) and os.path.getsize(svg) > 0, 'the downloads')
    if os.path.exists(pcap):
        out = subprocess.run([args.cli, 'ladder', pcap, '--no-color'], capture_output=True, text=True)
        expect(out.returncode == 0 and ('%d segments' % native['sack-one-loss'][0]) in out.stdout,
               'the downloaded pcap has the story\'s %d segments (synack ladder: %s)' % (native['sack-one-loss'][0], out.stdout[-80:]))
    if os.path.exists(svg):
        try:
            ET.parse(svg)
        except ET.ParseError as e:
            fail('the downloaded SVG is not well-formed XML: %s' % e)

    lap('downloads')
    # ---- a capture of the Linux kernel, opened from disk: pcap, then pcapng ----
    vec = os.path.join(args.src, 'tests', 'vectors', 'linux-kernel.pcap')
    files = [vec]
    if shutil.which('editcap'):
        ng = os.path.join(profile, 'linux-kernel.pcapng')
        subprocess.run(['editcap', '-F', 'pcapng', vec, ng], check=True)
        files.append(ng)
    else:
        print('editcap missing: the pcapng variant is not tried')
    for path in files:
        before = runs()
        driver.find_element(By.ID, 'capture-file').send_keys(path)
        wait(lambda: runs() > before and js('return document.body.dataset.story') == 'capture:0', 'the capture ' + path)
        d = js(collect)
        lad = js('return explorer.ladder')
        conns = js('return document.querySelectorAll("#conns li").length')
        expect(conns == 2, '%s: two connections listed (IPv4 and IPv6), got %d' % (os.path.basename(path), conns))
        expect(len(d['segs']) == 10 == lad['segments'], '%s: 10 segments drawn, got %d' % (os.path.basename(path), len(d['segs'])))
        for s in ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'CLOSE-WAIT', 'TIME-WAIT', 'CLOSED']:
            expect(s in d['states'], '%s: the ladder shows %s (%s)' % (os.path.basename(path), s, d['states']))
        expect(lad['left'].startswith('198.18.0.1:') and lad['right'] == '198.18.0.2:5001', 'the first connection is 198.18.0.1 -> 198.18.0.2:5001')
        expect(js('return !document.getElementById("tsg-box").hidden && document.querySelectorAll("#tsg .mk").length > 0'),
               'the capture has its time-sequence graph, with marks linked to the ladder')
        driver.find_element(By.CSS_SELECTOR, '#conns button[data-conn="1"]').click()
        wait(lambda: js('return document.body.dataset.story') == 'capture:1', 'the second connection')
        expect(js('return explorer.ladder.left').startswith('[fd00:5ac::1]:'), 'the second connection is the IPv6 one')
    shot('capture')

    lap('captures')
    # ---- hover a segment: the graph highlights it ----
    goto('s=sack-one-loss', 'sack-one-loss')
    seg = driver.find_element(By.CSS_SELECTOR, '#ladder g.ev[data-seg="6"] line.hit')
    js('arguments[0].scrollIntoView({block: "center"})', seg)
    ActionChains(driver).move_to_element(seg).perform()
    expect(wait(lambda: js('return document.querySelectorAll("#tsg .mk.hl").length') == 1, 'the linked mark', 5),
           'hovering segment 6 highlights its mark in the time-sequence graph')

    lap('hover')
    # ---- a phone ----
    driver.set_window_size(390, 844)
    goto('s=close-fin-lost', 'close-fin-lost')
    time.sleep(0.2)
    width = js('return document.documentElement.scrollWidth')
    expect(width <= 400, 'the phone layout does not overflow sideways (%d px)' % width)
    expect(js('return document.getElementById("story").getBoundingClientRect().top < document.getElementById("ladder").getBoundingClientRect().top'),
           'on a phone the story picker comes before the ladder')
    shot('phone')
finally:
    if driver:
        driver.quit()
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(profile, ignore_errors=True)

if failures:
    print('%d failure(s)' % len(failures))
    sys.exit(1)
print('explorer: all checks passed; screenshots in ' + args.shots)
