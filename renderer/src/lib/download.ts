/**
 * Saves data as a file through the browser's download (a blob link): the same path in Electron, where it opens the
 * save dialog, and in web mode, where the file lands in the browser's downloads.
 */
export function downloadFile(name: string, data: string | Uint8Array, mime: string): void {
  const blob = new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // the download has its own reference by now; revoke later so slow browsers still read it
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
