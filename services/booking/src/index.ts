export { BookingModule } from './booking.module';
export { BookingView } from './read-model/booking-view';
