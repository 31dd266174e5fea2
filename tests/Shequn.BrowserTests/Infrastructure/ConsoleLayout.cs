using System.Globalization;
using Microsoft.Playwright;

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>Whether a page fits its screen: what sticks out past the right edge, and whether an action can be reached.</summary>
public static class ConsoleLayout
{
    /// <summary>
    /// Everything that does not fit a screen <paramref name="width"/> pixels wide, one line each with a selector and its
    /// size: the document scrolling sideways; a visible element reaching past the right edge (the part of it that its
    /// clipping ancestors let through); a box whose content is wider than the box and is cut off or scrolls sideways
    /// inside it (a table overflowing its card). Text shortened on purpose with an ellipsis does not count. Only the
    /// innermost offenders are listed, as they are usually the cause.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindOverflowAsync(this IPage page, int width)
    {
        var found = await page.EvaluateAsync<string[]>(
            """
            (width) => {
              const clips = v => v !== 'visible';
              const describe = el => {
                const one = e => {
                  let s = e.tagName.toLowerCase();
                  if (e.id) s += '#' + e.id;
                  const testId = e.getAttribute('data-testid');
                  if (testId) s += `[data-testid="${testId}"]`;
                  const label = e.getAttribute('data-label');
                  if (label) s += `[data-label="${label}"]`;
                  const classes = [...e.classList].filter(c => !c.startsWith('mud-ripple')).slice(0, 2);
                  if (classes.length) s += '.' + classes.join('.');
                  return s;
                };
                const path = [];
                for (let e = el; e && e !== document.body && path.length < 3; e = e.parentElement) path.unshift(one(e));
                const text = (el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 30);
                return path.join(' > ') + (text ? ` "${text}"` : '');
              };
              const shown = el => {
                const s = getComputedStyle(el);
                if (s.display === 'none' || s.visibility === 'hidden' || s.visibility === 'collapse') return false;
                const r = el.getBoundingClientRect();
                return r.width > 0 && r.height > 0;
              };
              // The horizontal span of el that its clipping ancestors let through (null when none of it shows).
              const visibleSpan = el => {
                const r = el.getBoundingClientRect();
                let left = r.left, right = r.right, top = r.top, bottom = r.bottom;
                for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
                  const s = getComputedStyle(a);
                  const ar = a.getBoundingClientRect();
                  if (clips(s.overflowX)) { left = Math.max(left, ar.left); right = Math.min(right, ar.right); }
                  if (clips(s.overflowY)) { top = Math.max(top, ar.top); bottom = Math.min(bottom, ar.bottom); }
                  if (s.position === 'fixed') break;
                }
                return right - left > 0.5 && bottom - top > 0.5 ? { left, right } : null;
              };
              const offenders = new Map();
              const doc = document.documentElement;
              const problems = [];
              if (doc.scrollWidth > width + 1)
                problems.push(`the document scrolls sideways: ${doc.scrollWidth}px wide on a ${width}px screen`);
              for (const el of document.body.querySelectorAll('*')) {
                if (!shown(el)) continue;
                const s = getComputedStyle(el);
                const r = el.getBoundingClientRect();
                const span = visibleSpan(el);
                if (span && span.right > width + 1) {
                  offenders.set(el, `${describe(el)}: ${Math.round(r.width)}px wide, reaches ${Math.round(span.right)}px`);
                  continue;
                }
                // Boxes of a pixel or two are screen-reader text, hidden on purpose.
                const cutOff = clips(s.overflowX) && el.clientWidth > 2 && el.scrollWidth > el.clientWidth + 1
                  && s.textOverflow !== 'ellipsis' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) && span;
                // How far what the box really holds reaches: a click's ripple (MudBlazor's fading circle) does not count.
                const contentRight = () => {
                  let right = -Infinity;
                  for (const n of el.childNodes) {
                    if (n.nodeType === Node.TEXT_NODE) {
                      const range = document.createRange();
                      range.selectNodeContents(n);
                      right = Math.max(right, range.getBoundingClientRect().right);
                    } else if (n.nodeType === Node.ELEMENT_NODE && !String(n.className?.baseVal ?? n.className).includes('ripple') && shown(n)) {
                      right = Math.max(right, n.getBoundingClientRect().right);
                    }
                  }
                  return right;
                };
                if (cutOff && contentRight() > el.getBoundingClientRect().left + el.clientLeft + el.clientWidth + 1)
                  offenders.set(el, `${describe(el)}: content ${el.scrollWidth}px wide in a ${el.clientWidth}px box (overflow-x: ${s.overflowX})`);
              }
              const innermost = [...offenders.keys()].filter(el => ![...offenders.keys()].some(o => o !== el && el.contains(o)));
              for (const el of innermost) problems.push(offenders.get(el));
              return problems;
            }
            """, width);
        return found;
    }

    /// <summary>Fails with every offender when the page does not fit a screen <paramref name="width"/> pixels wide.</summary>
    public static async Task AssertFitsAsync(this IPage page, int width, string what)
    {
        var problems = await page.FindOverflowAsync(width);
        if (problems.Count == 0)
            return;
        var shot = await page.ScreenshotAsync("overflow-" + string.Concat(what.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')));
        Assert.Fail($"{what} does not fit a {width}px screen ({problems.Count} problems; screenshot {shot}):\n  "
            + string.Join("\n  ", problems.Take(15)) + (problems.Count > 15 ? $"\n  … and {problems.Count - 15} more" : ""));
    }

    /// <summary>
    /// The element is on the screen between its left and right edges and a click would land on it (visible, enabled,
    /// not covered by anything): Playwright's actionability checks without the click itself.
    /// </summary>
    public static async Task AssertReachableAsync(this ILocator target, int width, string what)
    {
        try
        {
            await target.ClickAsync(new() { Trial = true });
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"{what} cannot be clicked: {e.Message}");
        }
        await AssertOnScreenAsync(target, width, what);
    }

    /// <summary>The element is visible and lies within the screen's width (for controls that may be disabled).</summary>
    public static async Task AssertOnScreenAsync(this ILocator target, int width, string what)
    {
        await target.WaitForAsync();
        var box = await target.BoundingBoxAsync();
        // A render can replace the element between the wait and the measure (seen once in CI): wait and measure again.
        for (var attempt = 0; attempt < 3 && box is null; attempt++)
        {
            await target.WaitForAsync();
            box = await target.BoundingBoxAsync();
        }
        Assert.True(box is not null, $"{what} is not visible.");
        Assert.True(box.X >= -1 && box.X + box.Width <= width + 1,
            string.Create(CultureInfo.InvariantCulture, $"{what} spans {box.X:0}–{box.X + box.Width:0}px, outside the {width}px screen."));
    }
}
