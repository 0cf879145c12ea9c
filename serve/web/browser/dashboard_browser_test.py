#!/usr/bin/python3
"""The dashboard in a real browser: the real `deepfake serve` binary on a loopback port (a
random-weight tiny model, a temporary data_dir) driven through Debian's headless Chromium by
Selenium (python3-selenium + chromium-driver).

It drops real clips on the drop zone, watches the queue (upload, queue position, stage and
percentage, cancel), sees the verdict and the score timeline, clicks the timeline (the video
seeks) and plays the video (the playhead follows), finds the analysis in history, searches,
filters and deletes it; checks a phone-sized window (nothing wider than the screen), the
keyboard (every control reachable with Tab, visible focus), the printable report, the login
page of --api_token, a server that deletes uploads (the page says so, the timeline still
works), that a hostile file name stays text, and that the browser reported no
Content-Security-Policy violation or script error. Screenshots go to
$TEST_UNDECLARED_OUTPUTS_DIR.

Skips (exit 0, saying why) only when Chromium, chromedriver or Selenium is not installed
(tools/setup.sh installs them).

Args (from BUILD): DEEPFAKE_BINARY WRITE_TEST_FILES FACE_CLIP NO_FACE_CLIP TWO_FACES_CLIP
"""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    SELENIUM_ERROR = None
except ImportError as e:  # reported by setUpModule
    SELENIUM_ERROR = str(e)

DEEPFAKE, WRITE_TEST_FILES, FACE_CLIP, NO_FACE_CLIP, TWO_FACES_CLIP = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
OUTPUTS = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or os.path.join(TMP, "outputs")
TOKEN = "s3cret-token-for-the-browser-test"
MAX_UPLOAD_MB = 50

MODEL = None
BROWSER = None


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def wait_for(what, condition, timeout=60.0, interval=0.05):
    """condition()'s first truthy value within `timeout` seconds, else a failure naming `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # the page is changing under us; try again
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                         + (f" (last error: {last_error})" if last_error else ""))


class Dashboard:
    """One `deepfake serve` process on a free loopback port with its own data_dir."""

    def __init__(self, name, *flags):
        self.data_dir = os.path.join(TMP, name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(OUTPUTS, name + "_server.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [DEEPFAKE, "serve", "--port=0", "--host=127.0.0.1", "--model_path=" + MODEL,
             "--data_dir=" + self.data_dir, "--device=cpu", "--threads=2", "--workers=1",
             "--frames=8", "--face_detector=hog",  # the CNN fallback takes a minute on
             f"--max_upload_mb={MAX_UPLOAD_MB}", *flags],  # the faceless clip
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if not match:
            self.stop()
            raise AssertionError(f"deepfake serve did not print its URL (got {line!r}); "
                                 f"log: {open(self.log_path).read()}")
        self.url = match.group(1)
        self.token = TOKEN if "--api_token=" + TOKEN in flags else None

    def api(self, path, method="GET"):
        request = urllib.request.Request(self.url + path, method=method)
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Browser:
    """Headless Chromium through chromedriver; screenshots and the console log."""

    def __init__(self):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         "--autoplay-policy=no-user-gesture-required", "--lang=en-US",
                         "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-", dir=TMP)]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(CHROMEDRIVER, log_path=os.path.join(OUTPUTS, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        self.console = []

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def css(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def size(self, width, height, mobile=False):
        """The viewport as a device of this size (a phone with mobile=True): the page's own
        width, whatever the smallest window the platform allows."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        wait_for(f"a {width} px wide page", lambda: self.js("return window.innerWidth") == width,
                 timeout=5)

    def screenshot(self, name, full_page=True):
        """Writes OUTPUTS/name.png: the viewport, or the whole page's height."""
        time.sleep(0.2)  # layout and the canvas redraw
        params = {"format": "png"}
        if full_page:
            width, height = self.js("return [window.innerWidth, "
                                    "document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        png = self.driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
        with open(os.path.join(OUTPUTS, name + ".png"), "wb") as f:
            f.write(base64.b64decode(png))

    def collect_console(self):
        self.console += self.driver.get_log("browser")

    def problems(self):
        """Console entries that are CSP violations or script errors."""
        self.collect_console()
        return [e["message"] for e in self.console
                if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
                or "Uncaught" in e["message"]]

    def drop_files(self, paths, target="#dropzone"):
        """Drops real files on `target` as a person's drag-and-drop does: a DataTransfer with
        the files (read from disk by a scratch file input) in dragenter, dragover and drop."""
        scratch = self.js("const i = document.createElement('input'); i.type = 'file';"
                          "i.multiple = true; i.id = 'scratch-drop-input'; i.hidden = true;"
                          "document.body.append(i); return i;")
        scratch.send_keys("\n".join(paths))
        self.js("""
          const input = document.getElementById('scratch-drop-input');
          const data = new DataTransfer();
          for (const file of input.files) data.items.add(file);
          const zone = document.querySelector(arguments[0]);
          for (const type of ['dragenter', 'dragover', 'drop']) {
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true,
                                                    cancelable: true}));
          }
          input.remove();""", target)

    def no_horizontal_overflow(self):
        return self.js("return document.documentElement.scrollWidth <= window.innerWidth + 1")

    def tab_order(self, presses):
        """The elements Tab visits from the top of a freshly loaded page:
        [(tag, id, text, outline style, outline width)]."""
        visited = []
        for _ in range(presses):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            visited.append(self.js("""
              const e = document.activeElement;
              const zone = e.closest('.dropzone');
              const style = getComputedStyle(zone && e.id === 'file-input' ? zone : e);
              return [e.tagName.toLowerCase(), e.id || '', (e.getAttribute('aria-label') ||
                      e.textContent || '').trim().slice(0, 60), style.outlineStyle,
                      style.outlineWidth];"""))
        return visited

    def quit(self):
        self.driver.quit()


def setUpModule():
    global MODEL, BROWSER
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing or SELENIUM_ERROR:
        reason = (f"{', '.join(missing)} not installed" if missing
                  else f"python3-selenium missing ({SELENIUM_ERROR})")
        print(f"SKIPPED: the browser tests need Debian's chromium, chromium-driver and "
              f"python3-selenium: {reason}. Run tools/setup.sh.", flush=True)
        raise unittest.SkipTest(reason)
    os.makedirs(OUTPUTS, exist_ok=True)
    os.environ["HOME"] = TMP  # Chromium writes its caches under $HOME
    MODEL = os.path.join(TMP, "tiny.safetensors")
    subprocess.run([WRITE_TEST_FILES, "checkpoint", "tiny", MODEL, "7"], check=True)
    try:
        BROWSER = Browser()
    except Exception as e:  # a browser that failed to start once (a busy machine): once more
        print(f"Chromium did not start ({e}); trying again", file=sys.stderr, flush=True)
        time.sleep(2)
        BROWSER = Browser()


def tearDownModule():
    if BROWSER:
        BROWSER.quit()


class TimedTest(unittest.TestCase):
    """Prints each test's duration (the whole file should stay near two minutes)."""

    def setUp(self):
        self.started = time.monotonic()

    def tearDown(self):
        print(f"{self.id().split('.', 1)[1]}: {time.monotonic() - self.started:.1f} s",
              file=sys.stderr, flush=True)


class KeptUploadsTest(TimedTest):
    """A server that keeps uploads (--keep_uploads): the whole path of one analyst."""

    @classmethod
    def setUpClass(cls):
        cls.server = Dashboard("kept", "--keep_uploads")
        cls.b = BROWSER

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        super().setUp()
        self.b.size(1280, 900)

    def test_1_upload_page_states_limits_types_and_retention(self):
        b = self.b
        b.driver.get(self.server.url + "/")
        limits = wait_for("the limits on the drop zone",
                          lambda: "MB" in b.css("#drop-limits").text and b.css("#drop-limits").text)
        self.assertIn(f"up to {MAX_UPLOAD_MB} MB each", limits)
        for kind in ("MP4", "MOV", "WebM", "MKV", "AVI"):
            self.assertIn(kind, limits)
        self.assertIn("video/mp4", b.css("#file-input").get_attribute("accept"))
        self.assertIn("kept", wait_for("the retention note", lambda: b.css("#retention-note").text))
        self.assertTrue(b.css("#file-input").get_attribute("multiple"))
        self.assertEqual(b.problems(), [])

    def test_2_keyboard_reaches_every_control_with_visible_focus(self):
        b = self.b
        b.driver.get(self.server.url + "/")
        wait_for("the drop zone", lambda: b.css("#dropzone"))
        visited = b.tab_order(5)
        names = [(tag, id_) for tag, id_, _, _, _ in visited]
        # The skip link, the brand (home), the two sections, then the drop zone's chooser.
        self.assertEqual([text for tag, _, text, _, _ in visited[:4]],
                         ["Skip to content", "Deepfake Detector", "Analyze", "History"], visited)
        self.assertEqual(names[4], ("input", "file-input"), visited)
        for tag, id_, text, outline, width in visited:
            self.assertNotEqual(outline, "none", f"no visible focus on {tag}#{id_} {text}")
        # Enter on the focused chooser is what opens the file dialog: it is a real,
        # focusable file input inside the zone, not a click-only <div>.
        self.assertEqual(b.js("return document.activeElement.closest('.dropzone') !== null "
                              "&& document.activeElement.type"), "file")

    def test_3_dropped_clips_show_progress_then_verdicts_and_cancel_works(self):
        b = self.b
        b.driver.get(self.server.url + "/")
        wait_for("the limits", lambda: "MB" in b.css("#drop-limits").text)
        # Every status text the queue shows, as it changes (not sampled: none is missed).
        b.js("""window.seenStatuses = [];
          new MutationObserver(() => {
            for (const s of document.querySelectorAll('#queue .job-status')) {
              if (!seenStatuses.includes(s.textContent)) seenStatuses.push(s.textContent);
            }
          }).observe(document.getElementById('queue'),
                     {subtree: true, childList: true, characterData: true});""")
        b.drop_files([FACE_CLIP, NO_FACE_CLIP, TWO_FACES_CLIP])
        jobs = wait_for("three queue entries", lambda: len(b.all("#queue .job")) == 3
                        and b.all("#queue .job"))
        names = [j.find_element(By.CSS_SELECTOR, ".job-name").text for j in jobs]
        self.assertEqual(names, [os.path.basename(p) for p in
                                 (FACE_CLIP, NO_FACE_CLIP, TWO_FACES_CLIP)])
        # A local preview of each file, from the browser's own copy (blob: URL).
        self.assertTrue(all(j.find_element(By.CSS_SELECTOR, ".job-preview video")
                            .get_attribute("src").startswith("blob:") for j in jobs))
        # The third waits behind the first two (one worker): cancel it while it is queued.
        # With the tiny model the first two take well under a second here, so the server is
        # frozen (SIGSTOP) while the click's request is sent: when it resumes, an HTTP thread
        # answers the waiting cancel in milliseconds, long before the worker has finished
        # the two analyses ahead of the third.
        third = jobs[2]
        wait_for("the third upload to be queued",
                 lambda: "Waiting in queue" in third.find_element(By.CSS_SELECTOR, ".job-status").text)
        self.server.process.send_signal(signal.SIGSTOP)
        try:
            b.screenshot("upload_queue_in_progress", full_page=False)
            third.find_element(By.CSS_SELECTOR, ".job-actions button").click()
            time.sleep(0.5)  # the click's POST reaches the server's socket
        finally:
            self.server.process.send_signal(signal.SIGCONT)
        wait_for("the canceled chip", lambda: "Canceled" in third.text)

        wait_for("both verdicts", lambda: all(j.find_elements(By.CSS_SELECTOR, "a.button")
                                              for j in jobs[:2]), timeout=120)
        statuses = b.js("return seenStatuses")
        joined = "\n".join(statuses)
        for expected in (r"Waiting to upload", r"Uploading — \d+%", r"Waiting in queue — position 2",
                         r"Waiting in queue — position 1"):
            self.assertRegex(joined, expected, statuses)
        self.assertRegex(joined, r"(Decoding the video|Finding faces|Scoring faces|"
                                 r"Explaining \(Grad-CAM\)) — \d+%", statuses)
        self.assertIn("Undetermined. No face was found", jobs[1].text)
        chip = jobs[0].find_element(By.CSS_SELECTOR, ".chip").text
        self.assertRegex(chip, r"^(✓\s?REAL|✕\s?FAKE)$")
        self.assertRegex(jobs[0].text, r"P\(fake\) \d+\.\d%")
        status, listing = self.server.api("/api/v1/analyses?q=" + os.path.basename(FACE_CLIP))
        self.assertEqual(status, 200)
        self.assertEqual(listing["total"], 1)
        self.assertIn(listing["items"][0]["verdict"], chip)
        self.assertEqual(self.server.api(f"/api/v1/analyses?status=canceled")[1]["total"], 1)
        # Live updates came over Server-Sent Events (the streams ended with the analyses).
        streams = b.js("return performance.getEntriesByType('resource').map(e => e.name)"
                       ".filter(n => n.endsWith('/events'))")
        self.assertGreaterEqual(len(streams), 1, "no /events stream was used")
        b.screenshot("upload_queue_done")
        self.assertEqual(b.problems(), [])

    def face_analysis(self):
        status, listing = self.server.api("/api/v1/analyses?q=" + os.path.basename(FACE_CLIP))
        self.assertEqual(status, 200)
        self.assertEqual(listing["total"], 1, "test_3 uploads the face clip")
        return self.server.api("/api/v1/analyses/" + listing["items"][0]["id"])[1]

    def test_4_result_page_verdict_timeline_synced_with_the_video(self):
        b = self.b
        analysis = self.face_analysis()
        result = analysis["result"]
        b.driver.get(self.server.url + "/")
        wait_for("the drop zone", lambda: b.css("#dropzone"))
        # Through the app's own link, as a person goes: history -> the file.
        b.css("a[data-nav=history]").click()
        wait_for("the history row", lambda: b.all(f"li[data-id='{analysis['id']}'] a.history-name"))[0].click()
        word = wait_for("the verdict", lambda: b.css("[data-testid=verdict-word]").text)
        self.assertEqual(word, result["verdict"])
        self.assertEqual(b.driver.current_url, self.server.url + "/analyses/" + analysis["id"])
        verdict_text = b.css("[data-testid=verdict]").text
        self.assertIn(f"{100 * result['fake_probability']:.1f}%", verdict_text)
        self.assertIn(f"Threshold {100 * result['threshold']:.1f}%", verdict_text)
        # Facts: the sha256 of the very file dropped, the model, the times.
        page = b.css("main").text
        self.assertIn(sha256_of(FACE_CLIP), page.replace("\n", ""))
        self.assertIn(result["model"]["name"], page)
        self.assertIn("Analysis time", page)
        # One card per face track, with face crops and Grad-CAM overlays as images.
        cards = b.all("[data-testid=track-card]")
        self.assertEqual(len(cards), len(result["tracks"]))
        self.assertGreaterEqual(len(cards), 1)
        crops = cards[0].find_elements(By.CSS_SELECTOR, ".frame img:not(.overlay)")
        overlays = cards[0].find_elements(By.CSS_SELECTOR, ".frame img.overlay")
        self.assertEqual(len(crops), len(result["tracks"][0]["frames"]))
        self.assertEqual(len(overlays), len(crops))
        self.assertTrue(all(i.get_attribute("src").startswith("data:image/png;base64,")
                            for i in crops + overlays))
        self.assertTrue(b.js("return [...document.querySelectorAll('.frame img')]"
                             ".every(i => i.complete && i.naturalWidth > 0)"))
        # Downloads.
        links = {a.text: a.get_attribute("href") for a in b.all(".downloads a")}
        self.assertEqual(set(links), {"Download JSON", "Download CSV", "Printable report"})
        with urllib.request.urlopen(links["Download JSON"]) as response:
            self.assertEqual(json.loads(response.read())["verdict"], result["verdict"])
        with urllib.request.urlopen(links["Download CSV"]) as response:
            self.assertGreater(len(response.read().decode().splitlines()), 1)

        # The video (kept) and the timeline under it.
        video = b.css("video[data-testid=player]")
        self.assertTrue(video.get_attribute("src").endswith("/api/v1/analyses/" + analysis["id"] + "/video"))
        duration = wait_for("the video's metadata",
                            lambda: b.js("const v = arguments[0]; return v.readyState >= 1 && v.duration", video))
        timeline = b.css("[data-testid=timeline]")
        self.assertEqual(timeline.get_attribute("role"), "slider")
        self.assertGreater(timeline.size["width"], 300)
        self.assertTrue(b.js("const c = arguments[0].querySelector('canvas');"
                             "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                             "let ink = 0; for (let i = 3; i < d.length; i += 4) ink += d[i] > 0;"
                             "return ink > 1000;", timeline), "the timeline drew nothing")
        b.js("arguments[0].scrollIntoView({block: 'center'})", timeline)
        b.screenshot("result_kept_upload")
        # Clicking the timeline seeks the video. (Offsets are from the element's centre.)
        plot_left, plot_right = 44, timeline.size["width"] - 12  # timeline.js area()
        for fraction in (0.75, 0.25):
            x = plot_left + fraction * (plot_right - plot_left) - timeline.size["width"] / 2
            ActionChains(b.driver).move_to_element_with_offset(timeline, int(x), 0).click().perform()
            expected = fraction * float(timeline.get_attribute("aria-valuemax"))
            current = wait_for("the video to seek", lambda: b.js(
                "const v = arguments[0]; return !v.seeking && Math.abs(v.currentTime - arguments[1]) < 0.15"
                " && v.currentTime + 0.0001", video, expected))
            self.assertAlmostEqual(current, expected, delta=0.15)
            self.assertAlmostEqual(float(timeline.get_attribute("aria-valuenow")), expected, delta=0.15)
        # The keyboard seeks too.
        before = b.js("return arguments[0].currentTime", video)
        timeline.send_keys(Keys.ARROW_RIGHT)
        wait_for("the arrow key to seek", lambda: b.js("return arguments[0].currentTime", video) > before + 0.01)
        # Playing moves the playhead along the timeline.
        b.js("arguments[0].currentTime = 0; arguments[0].muted = true; arguments[0].play();", video)
        positions = []

        def moved():
            playing, now = b.js("const v = arguments[0]; return [!v.paused, v.currentTime]", video)
            head = float(timeline.get_attribute("aria-valuenow"))
            positions.append((now, head))
            return now > 0.5 * duration or not playing and now > 0.2
        wait_for("the video to play", moved, timeout=20)
        b.js("arguments[0].pause()", video)
        now = b.js("return arguments[0].currentTime", video)
        wait_for("the playhead to catch up", lambda: abs(float(timeline.get_attribute("aria-valuenow")) - now) < 0.1, timeout=5)
        self.assertGreater(len({round(head, 2) for _, head in positions}), 2,
                           f"the playhead did not move while playing: {positions}")
        self.assertEqual(b.problems(), [])

    def test_5_phone_sized_window(self):
        b = self.b
        analysis = self.face_analysis()
        b.size(375, 812, mobile=True)
        for path, name in (("/", "phone_upload"), ("/history", "phone_history"),
                           ("/analyses/" + analysis["id"], "phone_result")):
            b.driver.get(self.server.url + path)
            wait_for(path, lambda: b.all("#dropzone, .history-row, [data-testid=verdict]"))
            time.sleep(0.3)
            self.assertTrue(b.no_horizontal_overflow(),
                            f"{path}: the page is wider than a 375 px screen "
                            f"({b.js('return document.documentElement.scrollWidth')} px)")
            b.screenshot(name)
        # The result's main facts are all on the narrow page, and the timeline fits.
        self.assertEqual(b.css("[data-testid=verdict-word]").text, analysis["verdict"])
        self.assertLessEqual(b.css("[data-testid=timeline]").size["width"], 375)

    def test_6_report_page_prints_clean(self):
        b = self.b
        analysis = self.face_analysis()
        b.driver.get(self.server.url + "/analyses/" + analysis["id"] + "/report")
        word = wait_for("the report's verdict", lambda: b.css("[data-testid=verdict-word]").text)
        self.assertEqual(word, analysis["verdict"])
        self.assertIn(analysis["file_name"], b.css("h1").text)
        self.assertTrue(b.css("#print-button").is_displayed())
        self.assertEqual(b.all("video"), [], "no player on paper")
        b.screenshot("report")
        b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            self.assertFalse(b.css("#print-button").is_displayed(), "buttons are not printed")
            b.screenshot("report_print_media")
        finally:
            b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        self.assertEqual(b.problems(), [])

    def test_7_history_search_filter_delete(self):
        b = self.b
        analysis = self.face_analysis()
        b.driver.get(self.server.url + "/history")
        rows = wait_for("the history rows", lambda: len(b.all(".history-row")) == 3 and b.all(".history-row"))
        # Newest first: the canceled third upload, then the faceless clip, then the face clip.
        self.assertEqual([r.find_element(By.CSS_SELECTOR, ".history-name").text for r in rows],
                         [os.path.basename(p) for p in (TWO_FACES_CLIP, NO_FACE_CLIP, FACE_CLIP)])
        face_row = rows[2]
        self.assertIn(analysis["verdict"], face_row.find_element(By.CSS_SELECTOR, ".chip").text)
        self.assertIn(f"{100 * analysis['fake_probability']:.1f}%", face_row.text)
        self.assertRegex(face_row.find_element(By.CSS_SELECTOR, "time").text,
                         r"^(just now|\d+ minutes? ago)$")
        self.assertTrue(face_row.find_element(By.CSS_SELECTOR, ".history-thumb img")
                        .get_attribute("src").endswith("/thumbnail.png"))
        self.assertIn("UNDETERMINED", rows[1].text)
        self.assertIn("Canceled", rows[0].text)
        b.screenshot("history")

        def names():
            return [e.text for e in b.all(".history-row .history-name")]
        # Search by name (typed, as a person does).
        search = b.css("#history-search")
        search.send_keys("retalking")
        wait_for("the search", lambda: names() == [os.path.basename(FACE_CLIP)])
        self.assertIn("q=retalking", b.driver.current_url)
        search.send_keys("-nothing-like-this")
        wait_for("an empty search", lambda: names() == [] and "No analysis matches" in b.css("#history-count").text)
        b.css("button[type=reset]").click()
        wait_for("all rows back", lambda: len(names()) == 3)
        # Filter by verdict, and by date (today in the browser's time zone, then yesterday).
        b.js("const s = document.getElementById('history-verdict'); s.value = 'UNDETERMINED';"
             "s.dispatchEvent(new Event('change'));")
        wait_for("the verdict filter", lambda: names() == [os.path.basename(NO_FACE_CLIP)])
        b.css("button[type=reset]").click()
        wait_for("all rows back", lambda: len(names()) == 3)
        today = b.js("const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1)"
                     ".padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');")
        b.js("const f = document.getElementById('history-from'); f.value = arguments[0];"
             "f.dispatchEvent(new Event('change'));", today)
        wait_for("today's analyses", lambda: len(names()) == 3)
        b.js("const t = document.getElementById('history-to'); const d = new Date(Date.now() - 86400e3);"
             "t.value = d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' +"
             "String(d.getDate()).padStart(2, '0'); t.dispatchEvent(new Event('change'));")
        wait_for("nothing from before today", lambda: names() == [])
        b.css("button[type=reset]").click()
        wait_for("all rows back", lambda: len(names()) == 3)

        # Pages (two per page here; 20 by default).
        b.driver.get(self.server.url + "/history?per_page=2")
        wait_for("page 1 of 2", lambda: len(names()) == 2 and "Page 1 of 2" in b.css(".pager").text)
        b.css(".pager button:last-child").click()
        wait_for("page 2", lambda: names() == [os.path.basename(FACE_CLIP)])
        self.assertIn("page=2", b.driver.current_url)
        b.css(".pager button:first-child").click()
        wait_for("page 1 again", lambda: len(names()) == 2)
        b.driver.get(self.server.url + "/history")
        wait_for("all rows", lambda: len(names()) == 3)

        # Delete one: the confirmation can be declined, then accepted.
        row = b.css(f"li[data-id='{analysis['id']}']")
        row.find_element(By.CSS_SELECTOR, ".history-actions button").click()
        dialog = wait_for("the confirmation", lambda: b.css("#confirm-dialog").is_displayed() and b.css("#confirm-dialog"))
        self.assertIn(os.path.basename(FACE_CLIP), dialog.text)
        b.screenshot("history_confirm_delete", full_page=False)
        dialog.find_element(By.CSS_SELECTOR, "button[value=cancel]").click()
        wait_for("the dialog to close", lambda: not b.css("#confirm-dialog").is_displayed())
        self.assertEqual(len(names()), 3)
        self.assertEqual(self.server.api("/api/v1/analyses/" + analysis["id"])[0], 200)
        row.find_element(By.CSS_SELECTOR, ".history-actions button").click()
        wait_for("the confirmation", lambda: b.css("#confirm-dialog").is_displayed())
        b.css("#confirm-ok").click()
        wait_for("the row to go", lambda: len(names()) == 2)
        self.assertEqual(self.server.api("/api/v1/analyses/" + analysis["id"])[0], 404)
        leftovers = [os.path.join(d, f) for d, _, files in os.walk(self.server.data_dir)
                     for f in files if analysis["id"] in f]
        self.assertEqual(leftovers, [], "files of the deleted analysis are still on disk")
        # Delete all.
        b.css("#delete-all").click()
        wait_for("the confirmation", lambda: b.css("#confirm-dialog").is_displayed())
        b.css("#confirm-ok").click()
        wait_for("an empty history", lambda: names() == [] and "No analyses yet" in b.css("#history-count").text)
        self.assertEqual(self.server.api("/api/v1/analyses")[1]["total"], 0)
        self.assertEqual(b.problems(), [])


class DeletedUploadsWithTokenTest(TimedTest):
    """A server with --api_token that deletes uploads once analysed (the default)."""

    @classmethod
    def setUpClass(cls):
        cls.server = Dashboard("token", "--api_token=" + TOKEN)
        cls.b = BROWSER

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_login_upload_with_the_file_chooser_and_no_video_kept(self):
        b = self.b
        b.size(1280, 900)
        b.driver.get(self.server.url + "/history")
        wait_for("the login page", lambda: "/login" in b.driver.current_url and b.css("#token"))
        b.screenshot("login", full_page=False)
        b.css("#token").send_keys("wrong-token" + Keys.ENTER)
        wait_for("the wrong-token message", lambda: b.css("#login-error").is_displayed()
                 and "not correct" in b.css("#login-error").text)
        b.css("#token").clear()
        b.css("#token").send_keys(TOKEN + Keys.ENTER)
        wait_for("the dashboard after signing in", lambda: b.all("#dropzone"))
        self.assertNotIn("/login", b.driver.current_url)

        # A hostile file name, chosen with the file chooser (the drop zone's input).
        hostile = os.path.join(TMP, 'clip "<b>bold<i>x<img src=x onerror=alert(1)>".mp4')
        shutil.copyfile(FACE_CLIP, hostile)
        b.css("#file-input").send_keys(hostile)
        job = wait_for("the queue entry", lambda: b.all("#queue .job"))[0]
        wait_for("the verdict", lambda: job.find_elements(By.CSS_SELECTOR, "a.button"), timeout=120)
        self.assertEqual(b.all("#queue b, #queue i, #queue img[src=x]"), [], "a file name became markup")
        self.assertIn("bold", job.find_element(By.CSS_SELECTOR, ".job-name").text)
        job.find_element(By.CSS_SELECTOR, "a.button").click()

        wait_for("the result", lambda: b.all("[data-testid=verdict-word]"))
        note = b.css("[data-testid=video-deleted]").text
        self.assertIn("The video was not kept", note)
        self.assertIn("--keep_uploads", note)
        self.assertEqual(b.all("video"), [])
        self.assertEqual(b.all("main b, main i, main img[src=x]"), [], "a file name became markup")
        self.assertIn("bold", b.css("[data-testid=file-name]").text)
        # Without the video the timeline still works: it moves the shown face crop.
        viewer = b.css("[data-testid=frame-viewer]")
        first = viewer.text
        timeline = b.css("[data-testid=timeline]")
        ActionChains(b.driver).move_to_element_with_offset(
            timeline, int(timeline.size["width"] / 2 - 14), 0).click().perform()
        wait_for("the face crop to follow the timeline", lambda: viewer.text != first)
        self.assertTrue(b.js("return [...arguments[0].querySelectorAll('img')].every("
                             "i => i.hidden || (i.complete && i.naturalWidth > 0))", viewer))
        b.screenshot("result_upload_deleted")
        # A file that is not a video: the server's 415 message, in the file's queue entry.
        b.css("a[data-nav=analyze]").click()
        notes = os.path.join(TMP, "notes.mp4")
        with open(notes, "w") as f:
            f.write("this is text, named like a video\n")
        b.css("#file-input").send_keys(notes)
        rejected = wait_for("the rejected upload", lambda: [
            j for j in b.all("#queue .job") if "notes.mp4" in j.text and "Failed" in j.text])[0]
        self.assertIn("'notes.mp4' is not a video", rejected.text)
        self.assertEqual(rejected.find_elements(By.CSS_SELECTOR, "a.button"), [])
        status, analyses = self.server.api("/api/v1/analyses")
        self.assertEqual(status, 200)
        self.assertFalse(analyses["items"][0]["upload_kept"])
        self.assertEqual(b.problems(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
