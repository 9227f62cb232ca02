// Drives the playground in Debian's headless Chromium: words, faces and steering, as a person
// would, saving a screenshot of each step into OUT.
//
//   node tests/browser/playground.mjs http://127.0.0.1:PORT OUT
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [url, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => failures.push("page error: " + e.message));
  await page.goto(url);

  // Words: type an expression (the box is debounced), see queen first.
  await page.waitForSelector("#results li");
  await page.fill("#expression", "");
  await page.type("#expression", "paris - france + italy", { delay: 20 });
  await page.waitForFunction(() => document.querySelector("#results li")?.textContent.startsWith("rome"));
  await page.fill("#expression", "");
  await page.type("#expression", "king - man + woman", { delay: 20 });
  await page.waitForFunction(() => document.querySelector("#results li")?.textContent.startsWith("queen"), null, { timeout: 10000 });
  const first = await page.textContent("#results li");
  check(first.startsWith("queen"), `first result is ${first}`);
  // An unknown word shows the server's message, with suggestions.
  await page.fill("#expression", "kingg");
  await page.waitForFunction(() => document.querySelector("#expression-error").textContent.includes("did you mean"));
  await page.fill("#expression", "king - man + woman");
  await page.waitForFunction(() => document.querySelector("#results li")?.textContent.startsWith("queen") && !document.querySelector("#expression-error").textContent);
  await page.click("#analogy-form button");
  await page.waitForSelector("#analogy-results li");
  check((await page.textContent("#analogy-results li")).startsWith("queen"), "analogy");
  await page.click("#plot-form button");
  await page.waitForSelector("#plot g.point");
  check((await page.locator("#plot g.point").count()) === 10, "ten points in the plot");
  await page.screenshot({ path: `${out}/words.png`, fullPage: true });

  // Faces: sixteen faces, mark three smiling and three not, apply to another face.
  await page.click("#tab-faces");
  await page.waitForFunction(() => [...document.querySelectorAll("#face-grid img")].filter((i) => i.complete && i.naturalWidth > 0).length === 16, null, { timeout: 60000 });
  for (const seed of [0, 4, 8]) await page.click(`#face-grid button[data-seed="${seed}"]`);
  for (const seed of [5, 6, 7]) {
    await page.click(`#face-grid button[data-seed="${seed}"]`);
    await page.click(`#face-grid button[data-seed="${seed}"]`);
  }
  check((await page.getAttribute('#face-grid button[data-seed="4"]', "class")) === "positive", "seed 4 marked positive");
  check((await page.getAttribute('#face-grid button[data-seed="6"]', "class")) === "negative", "seed 6 marked negative");
  // The keyboard marks faces too: focus one, press Enter three times (positive, negative, clear).
  await page.focus('#face-grid button[data-seed="9"]');
  await page.keyboard.press("Enter");
  check((await page.getAttribute('#face-grid button[data-seed="9"]', "aria-pressed")) === "true", "Enter marks a face");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  check((await page.getAttribute('#face-grid button[data-seed="9"]', "aria-pressed")) === "false", "Enter clears the mark");
  await page.fill("#edit-latent", "seed:40");
  await page.locator("#strength").fill("4");
  await page.click("#apply");
  await page.waitForFunction(() => document.querySelector("#sweep").naturalWidth > 0, null, { timeout: 30000 });
  check((await page.$eval("#edited", (i) => i.naturalWidth)) > 0, "edited face shown");
  await page.click("#slerp-form button");
  await page.waitForFunction(() => document.querySelector("#slerp").naturalWidth > 0, null, { timeout: 30000 });
  // Directions without labels: SeFa's sheet, five rows of three seeds swept in five frames.
  await page.click("#discover-form button");
  await page.waitForFunction(() => document.querySelector("#discover-sheet").naturalWidth > 0, null, { timeout: 30000 });
  check((await page.$eval("#discover-sheet", (i) => i.naturalHeight)) > 5 * 64, "the sheet has five rows");
  // Inversion of an upload: a file that is not a PNG is refused in the page, a face is found.
  await page.setInputFiles("#invert-file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image") });
  await page.click("#invert-form button");
  check((await page.textContent("#invert-error")).includes("not a PNG"), "a text file is refused");
  const face = await page.evaluate(async () => {
    const response = await fetch("/api/faces/render", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ latents: ["seed:5"], format: "png", scale: 1 }) });
    return [...new Uint8Array(await response.arrayBuffer())];
  });
  await page.setInputFiles("#invert-file", { name: "face.png", mimeType: "image/png", buffer: Buffer.from(face) });
  await page.fill("#invert-steps", "30");
  await page.click("#invert-form button");
  await page.waitForFunction(() => document.querySelector("#invert-status").textContent.includes("levels rms"), null, { timeout: 60000 });
  check((await page.$eval("#invert-faces", (i) => i.naturalWidth)) === 128, "the upload and the found face shown");
  check((await page.textContent("#invert-error")) === "", "no error after a good upload");
  await page.screenshot({ path: `${out}/faces.png`, fullPage: true });

  // Steering: a vector from two prompts, steered and unsteered side by side, streamed.
  await page.click("#tab-steering");
  await page.fill("#max-tokens", "16");
  await page.click("#steer");
  await page.waitForFunction(() => document.querySelector("#steered").dataset.done === "true", null, { timeout: 60000 });
  const plain = await page.textContent("#plain");
  const steered = await page.textContent("#steered");
  check(plain.length > 10 && steered.length > 10, `texts: ${plain} | ${steered}`);
  check(plain !== steered, "steering changed the text");
  check((await page.textContent("#steer-error")) === "", "no error");
  await page.screenshot({ path: `${out}/steering.png`, fullPage: true });

  // The model picker: Gemma 3 brings its own measured settings (normalised vectors, blocks 6..12).
  const offered = await page.$$eval("#lm-model option", (options) => options.map((o) => o.value));
  check(offered.join() === "smollm2-135m,gemma3-270m", `models offered: ${offered}`);
  await page.selectOption("#lm-model", "gemma3-270m");
  const settings = await page.evaluate(() => ["layer-from", "layer-to", "coefficient"].map((id) => document.getElementById(id).value).concat(document.getElementById("normalize").checked).join());
  check(settings === "6,12,50,true", `Gemma's preset applied: ${settings}`);
  check((await page.textContent("#lm-about")).includes("Gemma Terms of Use"), "the license is shown");
  await page.click("#steer");
  await page.waitForFunction(() => document.querySelector("#steered").dataset.done === "true", null, { timeout: 60000 });
  const gemmaPlain = await page.textContent("#plain");
  const gemmaSteered = await page.textContent("#steered");
  check(gemmaPlain.length > 10 && gemmaPlain !== plain, `Gemma wrote its own text: ${gemmaPlain}`);
  check(gemmaPlain !== gemmaSteered, `steering changed Gemma's text: ${gemmaSteered}`);
  check((await page.textContent("#steer-error")) === "", "no error on Gemma");
  await page.screenshot({ path: `${out}/steering-gemma.png`, fullPage: true });
  console.log(JSON.stringify({ first, plain, steered, gemmaPlain, gemmaSteered }));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
