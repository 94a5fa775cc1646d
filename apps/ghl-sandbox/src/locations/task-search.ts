import { LocationDataset } from '../dataset/location-dataset';
import { SandboxTask } from '../dataset/records';

/** POST /locations/{locationId}/tasks/search body (TaskSearchParamsDto); the filters we honour. */
export interface TaskSearchInput {
  contactId?: string[];
  completed?: boolean;
  limit?: number;
  skip?: number;
}

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;

/** Where a walk's offsets point: the contact order and task counts when its first page was read. */
interface WalkIndex {
  contactIds: string[];
  /** `before[i]` = tasks of the contacts before `contactIds[i]`. */
  before: number[];
  total: number;
}

const indexes = new WeakMap<LocationDataset, WalkIndex>();

/**
 * The location's tasks in contact order, `skip`/`limit` paginated. Tasks are read live; the
 * offsets come from an index built when a walk starts (`skip` 0), so that a page costs its own
 * size rather than the whole location. Filters other than none are answered by a plain scan.
 */
export function searchTasks(dataset: LocationDataset, input: TaskSearchInput): SandboxTask[] {
  const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(input.limit ?? DEFAULT_LIMIT)));
  const skip = Math.max(0, Math.floor(input.skip ?? 0));
  const isFiltered = input.contactId !== undefined || input.completed !== undefined;
  if (isFiltered) return filteredScan(dataset, input).slice(skip, skip + limit);

  let index = indexes.get(dataset);
  if (!index || skip === 0) {
    index = buildIndex(dataset);
    indexes.set(dataset, index);
  }

  return pageFrom(dataset, index, skip, limit);
}

function buildIndex(dataset: LocationDataset): WalkIndex {
  const contactIds: string[] = [];
  const before: number[] = [];
  let total = 0;
  for (const contact of dataset.ordered()) {
    contactIds.push(contact.id);
    before.push(total);
    total += dataset.childrenOf(contact.id).tasks.length;
  }

  return { contactIds, before, total };
}

function pageFrom(dataset: LocationDataset, index: WalkIndex, skip: number, limit: number) {
  let low = 0;
  let high = index.contactIds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (index.before[middle] <= skip) low = middle + 1;
    else high = middle;
  }
  const page: SandboxTask[] = [];
  let offset = skip - (index.before[low - 1] ?? 0);
  for (let at = Math.max(0, low - 1); at < index.contactIds.length; at++) {
    const tasks = dataset.childrenOf(index.contactIds[at]).tasks;
    page.push(...tasks.slice(offset, offset + limit - page.length));
    offset = 0;
    if (page.length >= limit) break;
  }

  return page;
}

function filteredScan(dataset: LocationDataset, input: TaskSearchInput): SandboxTask[] {
  const contactIds = input.contactId ? new Set(input.contactId) : undefined;
  const tasks: SandboxTask[] = [];
  for (const contact of dataset.ordered()) {
    if (contactIds && !contactIds.has(contact.id)) continue;
    for (const task of dataset.childrenOf(contact.id).tasks) {
      if (input.completed === undefined || task.completed === input.completed) tasks.push(task);
    }
  }

  return tasks;
}
