import { PupilNameIndex } from '../detectors/personal-data/pupil-names.js';
import type { ContactDirectory } from '../engine/recipients.js';
import type { RosterPupil } from './load-roster.js';

/**
 * The pupils the engine knows, indexed for inspection: their names (one automaton), their
 * UPNs, and which parent/carer addresses belong to which pupils.
 */
export class Roster implements ContactDirectory {
  readonly names: PupilNameIndex;
  private readonly byId = new Map<string, RosterPupil>();
  private readonly byUpn = new Map<string, string>();
  private readonly byContact = new Map<string, string[]>();

  constructor(pupils: readonly RosterPupil[], commonWords: ReadonlySet<string>) {
    for (const pupil of pupils) {
      this.byId.set(pupil.id, pupil);
      if (pupil.upn) this.byUpn.set(pupil.upn, pupil.id);
      for (const address of pupil.contacts) {
        const children = this.byContact.get(address);
        if (children) children.push(pupil.id);
        else this.byContact.set(address, [pupil.id]);
      }
    }
    this.names = new PupilNameIndex(pupils, commonWords);
  }

  static empty(): Roster {
    return new Roster([], new Set());
  }

  pupil(id: string): RosterPupil | undefined {
    return this.byId.get(id);
  }

  /** The roster pupil with this UPN (compact, upper case), if any. */
  pupilWithUpn(upn: string): string | undefined {
    return this.byUpn.get(upn);
  }

  /** The pupils whose parent/carer contact this address is (lower case). */
  pupilsOf(address: string): readonly string[] {
    return this.byContact.get(address.toLowerCase()) ?? [];
  }
}
