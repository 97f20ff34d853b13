import { expect } from 'chai';
import { checkSections, type Section } from '../../torture/checker.js';

function section(partial: Partial<Section> & Pick<Section, 'holder' | 'begin' | 'end'>): Section {
  return {
    token: null,
    killed: false,
    paused: false,
    lostAt: null,
    write: { outcome: 'skipped' },
    epoch: 0,
    ...partial,
  };
}

const check = (sections: Section[], fenceSeq = 0, fenced = true) =>
  checkSections({
    sections,
    fenceSeqByEpoch: new Map([[0, fenceSeq]]),
    fenced,
    lostToleranceMs: 250,
  });

describe('Torture checker', () => {
  it('passes sections that follow one another with growing tokens and accepted writes', () => {
    const result = check(
      [
        section({
          holder: 'a',
          begin: 0,
          end: 10,
          token: '5',
          write: { outcome: 'accepted', seq: 1, epoch: 0 },
        }),
        section({
          holder: 'b',
          begin: 11,
          end: 20,
          token: '9',
          write: { outcome: 'accepted', seq: 2, epoch: 0 },
        }),
      ],
      2,
    );
    expect(result.violations).to.deep.equal([]);
  });

  it('flags two sections the lock admitted at once', () => {
    const result = check(
      [section({ holder: 'a', begin: 0, end: 10 }), section({ holder: 'b', begin: 5, end: 20 })],
      0,
      false,
    );
    expect(result.violations.map((v) => v.rule)).to.deep.equal(['exclusion']);
  });

  it('excuses an overlap when the earlier holder was paused past its lease, not when it learned too late', () => {
    const paused = check(
      [
        section({ holder: 'a', begin: 0, end: 3000, paused: true }),
        section({ holder: 'b', begin: 1600, end: 1700 }),
      ],
      0,
      false,
    );
    expect(paused.violations).to.deep.equal([]);
    const late = check(
      [
        section({ holder: 'a', begin: 0, end: 3000, lostAt: 2500 }),
        section({ holder: 'b', begin: 1600, end: 1700 }),
      ],
      0,
      false,
    );
    expect(late.violations.map((v) => v.rule)).to.deep.equal(['exclusion']);
  });

  it('flags tokens that do not grow in admission order', () => {
    const result = check([
      section({ holder: 'a', begin: 0, end: 1, token: '9' }),
      section({ holder: 'b', begin: 2, end: 3, token: '7' }),
    ]);
    expect(result.violations.map((v) => v.rule)).to.include('token order');
  });

  it('flags a fence that accepted a lower token, lost a write, or rejected a holder that still held the lock', () => {
    const outOfOrder = check(
      [
        section({
          holder: 'a',
          begin: 0,
          end: 1,
          token: '5',
          write: { outcome: 'accepted', seq: 2, epoch: 0 },
        }),
        section({
          holder: 'b',
          begin: 2,
          end: 3,
          token: '9',
          write: { outcome: 'accepted', seq: 1, epoch: 0 },
        }),
      ],
      2,
    );
    expect(outOfOrder.violations.map((v) => v.rule)).to.include('fence');
    const lost = check(
      [
        section({
          holder: 'a',
          begin: 0,
          end: 1,
          token: '5',
          write: { outcome: 'accepted', seq: 1, epoch: 0 },
        }),
      ],
      3,
    );
    expect(lost.violations.map((v) => v.rule)).to.deep.equal(['fence']);
    const wronglyRejected = check([
      section({
        holder: 'a',
        begin: 0,
        end: 1,
        token: '5',
        write: { outcome: 'rejected', highest: '9', epoch: 0 },
      }),
    ]);
    expect(wronglyRejected.violations.map((v) => v.rule)).to.deep.equal(['fence']);
  });

  it("counts a paused holder's rejected late write as the fence doing its job", () => {
    const result = check(
      [
        section({
          holder: 'a',
          begin: 0,
          end: 3000,
          token: '5',
          paused: true,
          lostAt: 2900,
          write: { outcome: 'rejected', highest: '9', epoch: 0 },
        }),
        section({
          holder: 'b',
          begin: 1600,
          end: 1700,
          token: '9',
          write: { outcome: 'accepted', seq: 1, epoch: 0 },
        }),
      ],
      1,
    );
    expect(result.violations).to.deep.equal([]);
    expect(result.lateWritesRejected).to.equal(1);
  });
});
