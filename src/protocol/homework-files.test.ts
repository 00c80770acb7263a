import { describe, expect, it } from 'vitest';
import { checkHomeworkFiles, HOMEWORK_LIMITS } from './homework-files.ts';

const MB = 1024 * 1024;

describe('checkHomeworkFiles', () => {
  it('names the file, its size and the limit; checks the type, the count and the total', () => {
    expect(checkHomeworkFiles([{ name: 'cahier.jpg', type: 'image/jpeg', size: 3 * MB }])).toEqual([]);
    expect(checkHomeworkFiles([{ name: 'vacances.jpg', type: 'image/jpeg', size: 60 * MB }])).toEqual([
      { kind: 'size', name: 'vacances.jpg', size: 60 * MB, limit: 20 * MB },
      { kind: 'total', size: 60 * MB, limit: 40 * MB },
    ]);
    expect(checkHomeworkFiles([{ name: 'page.html', type: 'text/html', size: 10 }])).toEqual([
      { kind: 'type', name: 'page.html' },
    ]);
    const three = Array.from({ length: 3 }, (_, i) => ({ name: `p${i}.pdf`, type: 'application/pdf', size: 15 * MB }));
    expect(checkHomeworkFiles(three)).toEqual([{ kind: 'total', size: 45 * MB, limit: 40 * MB }]);
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `p${i}.png`, type: 'image/png', size: 1 }));
    expect(checkHomeworkFiles(many)).toEqual([{ kind: 'count', count: 21, limit: 20 }]);
  });

  it('follows the limits it is given (the server’s, from its sync policy)', () => {
    const tight = { ...HOMEWORK_LIMITS, maxFileBytes: 1 * MB };
    expect(checkHomeworkFiles([{ name: 'a.png', type: 'image/png', size: 2 * MB }], tight)).toEqual([
      { kind: 'size', name: 'a.png', size: 2 * MB, limit: 1 * MB },
    ]);
  });
});
