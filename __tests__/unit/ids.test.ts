import { describe, expect, it } from 'vitest';
import { adoptIds, formatResourceId, parseResourceId, sameId } from '../../src/common/ids.ts';

const PASTED =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-Data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pull';
const AZURE =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-data/providers/microsoft.managedidentity/userassignedidentities/id-pull';

describe('resource IDs', () => {
  it('parses any case and formats the canonical spelling', () => {
    const p = parseResourceId(AZURE);
    expect(p).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'rg-data',
      provider: 'microsoft.managedidentity',
      type: 'userassignedidentities',
      name: 'id-pull',
    });
    expect(formatResourceId(parseResourceId(PASTED))).toBe(PASTED);
  });

  it('compares case-insensitively, ignoring a trailing slash', () => {
    expect(sameId(PASTED, AZURE)).toBe(true);
    expect(sameId(PASTED, `${AZURE}/`)).toBe(true);
    expect(sameId(PASTED, AZURE.replace('id-pull', 'id-push'))).toBe(false);
  });

  it("takes the reference's spelling for IDs it holds, in values and keys, and leaves the rest", () => {
    const value = {
      identity: { userAssignedIdentities: { [PASTED]: {} } },
      registries: [{ server: 'x.azurecr.io', identity: PASTED }],
      other: '/subscriptions/1/resourceGroups/g/providers/P/t/n',
      text: 'Resource-Group',
    };
    const out = adoptIds(value, { identity: { userAssignedIdentities: { [AZURE]: {} } } });
    expect(out).toEqual({
      identity: { userAssignedIdentities: { [AZURE]: {} } },
      registries: [{ server: 'x.azurecr.io', identity: AZURE }],
      other: '/subscriptions/1/resourceGroups/g/providers/P/t/n',
      text: 'Resource-Group',
    });
  });
});
